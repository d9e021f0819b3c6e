package com.permissionbot.bench;

import com.lark.oapi.core.request.EventReq;
import com.lark.oapi.core.response.EventResp;
import com.lark.oapi.event.CustomEventHandler;
import com.lark.oapi.event.EventDispatcher;
import com.lark.oapi.service.im.ImService;
import com.lark.oapi.service.im.v1.model.P2MessageReceiveV1;
import com.lark.oapi.ws.Client;
import io.javalin.Javalin;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference servers and client of the benchmark, each run as its own process like the bot: {@code bare} reads the
 * body and answers 200 (this machine's ceiling for Javalin); {@code sdk} passes the request to the SDK's
 * EventDispatcher, as the official samples do; {@code sdkws} is the SDK's long-connection client ({@code ws.Client})
 * with an empty handler.
 *
 * <pre>java -cp target/test-classes:target/permission-bot.jar com.permissionbot.bench.BareServers bare|sdk PORT TOKEN KEY
 * java -cp … com.permissionbot.bench.BareServers sdkws BASE_URL APP_ID APP_SECRET</pre>
 */
public final class BareServers {
    public static void main(String[] args) {
        String kind = args[0];
        if (kind.equals("sdkws")) {
            longConnection(args[1], args[2], args[3]);
            return;
        }
        int port = Integer.parseInt(args[1]);
        Javalin app = Javalin.create(c -> c.showJavalinBanner = false);
        if (kind.equals("bare")) {
            app.post("/webhook/event", ctx -> {
                ctx.bodyAsBytes();
                ctx.result("{\"msg\":\"success\"}");
            });
        } else {
            EventDispatcher.Builder b = EventDispatcher.newBuilder(args[2], args[3]);
            for (String type : List.of("im.message.receive_v1")) {
                b.onCustomizedEvent(type, new CustomEventHandler() {
                    @Override
                    public void handle(EventReq req) {
                        // the sample handlers only log or queue the event
                    }
                });
            }
            EventDispatcher d = b.build();
            app.post("/webhook/event", ctx -> {
                EventReq req = new EventReq();
                Map<String, List<String>> headers = new HashMap<>();
                ctx.headerMap().forEach((k, v) -> headers.put(k.toLowerCase(), List.of(v)));
                req.setHeaders(headers);
                req.setBody(ctx.bodyAsBytes());
                req.setHttpPath(ctx.path());
                try {
                    EventResp resp = d.handle(req);
                    ctx.status(resp.getStatusCode()).result(resp.getBody());
                } catch (Throwable t) {
                    ctx.status(500);
                }
            });
        }
        app.get("/healthz", ctx -> ctx.result("ok"));
        app.start("127.0.0.1", port);
    }

    /** The SDK's own long-connection client with an empty message handler, as its sample has it; runs until killed. */
    static void longConnection(String baseUrl, String appId, String appSecret) {
        EventDispatcher d = EventDispatcher.newBuilder("", "").onP2MessageReceiveV1(new ImService.P2MessageReceiveV1Handler() {
            @Override
            public void handle(P2MessageReceiveV1 event) {
                // empty: the measure is the client itself
            }
        }).build();
        new Client.Builder(appId, appSecret).domain(baseUrl).eventHandler(d).build().start();
    }
}
