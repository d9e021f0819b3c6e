package com.permissionbot.feishu;

import com.permissionbot.config.BotConfig;
import com.permissionbot.config.ConfigLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.net.ssl.SSLHandshakeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The transport's two kinds of connection, against a raw server on loopback that reads each request and then closes
 * the connection without answering (as a server that closed an idle connection, or crashed, would): a read is
 * repeated at once, an apply never is.
 */
class PlatformHttpTest {
    private ServerSocket server;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws IOException {
        if (server != null) server.close();
    }

    /**
     * A server that answers the first request on each connection and keeps the connection open, but hangs up on the
     * second one after reading it (as a server that closed an idle connection does), and hangs up on every apply.
     */
    private String hangingUpServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread c = new Thread(() -> serve(s), "hanging-up-connection");
                    c.setDaemon(true);
                    c.start();
                } catch (IOException closed) {
                    // the test is over
                }
            }
        }, "hanging-up-server");
        t.setDaemon(true);
        t.start();
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void serve(Socket s) {
        try (s) {
            for (int n = 1; ; n++) {
                String head = readRequest(s.getInputStream());
                if (head.isEmpty()) return;
                String line = head.substring(0, head.indexOf('\r'));
                requests.add(line);
                if (n > 1 || line.contains("/scopes/apply")) return;
                String body = line.contains("tenant_access_token")
                        ? "{\"code\":0,\"msg\":\"ok\",\"tenant_access_token\":\"t-raw\",\"expire\":7200}"
                        : "{\"code\":0,\"msg\":\"success\",\"data\":{\"scopes\":[{\"scope_name\":\"im:message\",\"grant_status\":1}]}}";
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                s.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + b.length
                        + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().write(b);
                s.getOutputStream().flush();
            }
        } catch (IOException gone) {
            // the client went away
        }
    }

    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) break;
            head.write(b);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        for (String l : h.split("\r\n")) {
            if (l.toLowerCase().startsWith("content-length:")) in.readNBytes(Integer.parseInt(l.substring(15).trim()));
        }
        return h;
    }

    private static SdkFeishuGateway gateway(String url, String appId) {
        BotConfig.Feishu cfg = new ConfigLoader(Map.of("FEISHU_APP_ID", appId, "FEISHU_APP_SECRET", "s",
                "FEISHU_VERIFICATION_TOKEN", "v", "FEISHU_ENCRYPT_KEY", "k", "FEISHU_BASE_URL", url)).parse("").feishu();
        return new SdkFeishuGateway(cfg, Clock.systemUTC());
    }

    private long count(String pathPart) {
        return requests.stream().filter(r -> r.contains(pathPart)).count();
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void a_read_on_a_connection_the_server_closed_is_repeated_at_once_but_an_apply_is_never_sent_twice() throws IOException {
        SdkFeishuGateway gw = gateway(hangingUpServer(), "cli_hangup");
        assertTrue(gw.listScopes().ok());
        PlatformResult<?> again = gw.listScopes();
        assertTrue(again.ok(), "the pooled connection was gone; the read went again on a new one: code " + again.code());
        assertTrue(count("GET /open-apis/application/v6/scopes") > 2, "hung-up reads were repeated: " + requests);

        PlatformResult<Void> apply = gw.applyScopes();
        assertTrue(apply.uncertain(), "no answer: nobody can tell whether it was received");
        assertEquals(1, count("/scopes/apply"), "the apply left once, on a connection of its own, and was not repeated: " + requests);
    }

    @Test
    void only_a_failure_to_connect_proves_a_request_never_left() {
        assertTrue(PlatformHttp.neverSent(new ConnectException("Connection refused")));
        assertTrue(PlatformHttp.neverSent(new IOException("wrapped", new java.net.UnknownHostException("open.feishu.cn"))));
        assertTrue(PlatformHttp.neverSent(new SocketTimeoutException("connect timed out")));
        assertTrue(PlatformHttp.neverSent(new SSLHandshakeException("handshake")));
        assertFalse(PlatformHttp.neverSent(new IOException("unexpected end of stream")));
        assertFalse(PlatformHttp.neverSent(new SocketTimeoutException("Read timed out")));
        assertFalse(PlatformHttp.neverSent(new java.net.SocketException("Connection reset")));
    }
}
