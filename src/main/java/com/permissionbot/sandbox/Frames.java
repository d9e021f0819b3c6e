package com.permissionbot.sandbox;

import com.lark.oapi.google.protobuf.ByteString;
import com.lark.oapi.ws.pb.Pbbp2;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The long connection's binary messages, proto2 {@code pbbp2.Frame}s built with the SDK's generated class (see
 * {@code ws/const.go} and {@code ws/pbbp2.pb.go} in larksuite/oapi-sdk-go).
 */
final class Frames {
    static final int CONTROL = 0;
    static final int DATA = 1;

    static final String TYPE = "type";
    static final String MESSAGE_ID = "message_id";
    static final String SUM = "sum";
    static final String SEQ = "seq";
    static final String TRACE_ID = "trace_id";
    static final String TIMESTAMP = "timestamp";
    static final String BIZ_RT = "biz_rt";

    static final String PING = "ping";
    static final String PONG = "pong";
    static final String EVENT = "event";

    private Frames() {
    }

    /** The answer to a ping: the same service, {@code type=pong}, and the ClientConfig JSON the client adopts. */
    static Pbbp2.Frame pong(Pbbp2.Frame ping, ClientConfig config) {
        return Pbbp2.Frame.newBuilder().setSeqID(0).setLogID(0).setService(ping.getService()).setMethod(CONTROL)
                .addHeaders(header(TYPE, PONG))
                .setPayload(ByteString.copyFromUtf8(config.toJson().toString()))
                .build();
    }

    /**
     * One message as data frames: {@code sum} parts of at most {@code partSize} bytes (0: one part), {@code seq} from 0,
     * each with all five headers and the message's id (the parts inherit it).
     */
    static List<Pbbp2.Frame> data(int service, long seqId, String type, String messageId, String traceId, byte[] payload,
                                  int partSize, long nowMillis) {
        int size = partSize <= 0 ? Math.max(payload.length, 1) : partSize;
        int sum = Math.max(1, (payload.length + size - 1) / size);
        List<Pbbp2.Frame> out = new ArrayList<>(sum);
        for (int seq = 0; seq < sum; seq++) {
            byte[] part = Arrays.copyOfRange(payload, Math.min(seq * size, payload.length), Math.min((seq + 1) * size, payload.length));
            out.add(Pbbp2.Frame.newBuilder().setSeqID(seqId).setLogID(seqId).setService(service).setMethod(DATA)
                    .addHeaders(header(TYPE, type))
                    .addHeaders(header(MESSAGE_ID, messageId))
                    .addHeaders(header(SUM, Integer.toString(sum)))
                    .addHeaders(header(SEQ, Integer.toString(seq)))
                    .addHeaders(header(TRACE_ID, traceId))
                    .addHeaders(header(TIMESTAMP, Long.toString(nowMillis)))
                    .setPayload(ByteString.copyFrom(part))
                    .build());
        }
        return out;
    }

    /** The first value of header {@code key}, or null. */
    static String header(Pbbp2.Frame f, String key) {
        for (Pbbp2.Header h : f.getHeadersList()) {
            if (h.getKey().equals(key)) return h.getValue();
        }
        return null;
    }

    static Pbbp2.Header header(String key, String value) {
        return Pbbp2.Header.newBuilder().setKey(key).setValue(value).build();
    }
}
