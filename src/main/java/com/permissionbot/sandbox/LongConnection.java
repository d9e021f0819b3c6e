package com.permissionbot.sandbox;

import com.lark.oapi.ws.pb.Pbbp2;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.WriteCallback;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** One client's long connection as the gateway sees it: its ids, its state, the fault on it and what went over it. */
public final class LongConnection {

    /** Admitted at the handshake, open once the upgrade is done, closed for good. */
    public enum State { OPENING, OPEN, CLOSED }

    private final String id;
    private final int serviceId;
    private final Instant admittedAt;
    private final AtomicLong frameSeq = new AtomicLong();
    private final AtomicInteger pings = new AtomicInteger();
    private final AtomicInteger pushed = new AtomicInteger();
    private final AtomicInteger acks = new AtomicInteger();
    private final AtomicInteger ignored = new AtomicInteger();
    private volatile State state = State.OPENING;
    private volatile boolean stalled;
    private volatile Session session;
    private volatile Instant openedAt;
    private volatile Instant closedAt;
    private volatile String closeCause;
    private volatile String gatewayCause;

    LongConnection(String id, int serviceId, Instant admittedAt) {
        this.id = id;
        this.serviceId = serviceId;
        this.admittedAt = admittedAt;
    }

    /** The {@code device_id} of its URL, which clients log as {@code conn_id}. */
    public String id() {
        return id;
    }

    public int serviceId() {
        return serviceId;
    }

    public State state() {
        return state;
    }

    /** Stalled: the link is dead both ways, nothing sent arrives and nothing the client sends is read. */
    public boolean stalled() {
        return stalled;
    }

    public Instant admittedAt() {
        return admittedAt;
    }

    /** When the upgrade completed, or null. */
    public Instant openedAt() {
        return openedAt;
    }

    public Instant closedAt() {
        return closedAt;
    }

    /** Why it closed (who closed it, with which close code), or null while open. */
    public String closeCause() {
        return closeCause;
    }

    /** Pings received (and answered, unless stalled). */
    public int pings() {
        return pings.get();
    }

    /** Messages pushed over it (a fragmented message counts once). */
    public int pushed() {
        return pushed.get();
    }

    /** Acknowledgements received. */
    public int acks() {
        return acks.get();
    }

    /** Frames from the client dropped while stalled. */
    public int ignored() {
        return ignored.get();
    }

    @Override
    public String toString() {
        return "LongConnection[" + id + " " + state + (stalled ? " stalled" : "") + "]";
    }

    long nextFrameSeq() {
        return frameSeq.incrementAndGet();
    }

    void opened(Session s, Instant at) {
        session = s;
        openedAt = at;
        state = State.OPEN;
    }

    /** Marks it closed; the first cause given (the gateway's own, if it closed it) wins. */
    synchronized boolean closed(String cause, Instant at) {
        if (state == State.CLOSED) return false;
        state = State.CLOSED;
        closedAt = at;
        closeCause = gatewayCause != null ? gatewayCause : cause;
        return true;
    }

    void stall(boolean on) {
        stalled = on;
    }

    void countPing() {
        pings.incrementAndGet();
    }

    void countAck() {
        acks.incrementAndGet();
    }

    void countIgnored() {
        ignored.incrementAndGet();
    }

    /**
     * Writes one message's frames in order; false if nothing could be written (not open). On a stalled link the
     * frames vanish and this still answers true: the platform cannot tell.
     */
    boolean send(List<Pbbp2.Frame> frames, Consumer<Throwable> onFailure) {
        Session s = session;
        if (state != State.OPEN || s == null) return false;
        pushed.incrementAndGet();
        if (stalled) return true;
        synchronized (this) {
            for (Pbbp2.Frame f : frames) {
                s.getRemote().sendBytes(ByteBuffer.wrap(f.toByteArray()), new WriteCallback() {
                    @Override
                    public void writeFailed(Throwable x) {
                        onFailure.accept(x);
                    }
                });
            }
        }
        return true;
    }

    /** A control frame (a pong); nothing when stalled. */
    void sendControl(Pbbp2.Frame frame) {
        Session s = session;
        if (state != State.OPEN || s == null || stalled) return;
        synchronized (this) {
            s.getRemote().sendBytes(ByteBuffer.wrap(frame.toByteArray()), WriteCallback.NOOP);
        }
    }

    /** A WebSocket close frame; see {@link LongConnectionGateway#closeNormally}. */
    void closeNormally(String cause) {
        Session s = session;
        gatewayCause = cause;
        if (s != null) s.close(1000, "normal closure");
    }

    /** The TCP connection closed with no close frame. */
    void drop(String cause) {
        Session s = session;
        gatewayCause = cause;
        if (s != null) s.disconnect();
    }
}
