package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.function.Function;

/** A stand-in for the bot's webhook on loopback: checks each request's signature, decrypts it and answers as told. */
final class WebhookStub implements AutoCloseable {

    /** One request as received: path, the X-Lark headers, the decrypted event and whether the signature matched. */
    record Received(String path, Map<String, String> headers, String raw, JsonNode event, boolean signatureOk) {
    }

    /** What to answer: a status, a body, and how long to wait first. */
    record Answer(int status, String body, long delayMs) {
        static Answer ok() {
            return new Answer(200, "{\"msg\":\"success\"}", 0);
        }

        static Answer status(int s) {
            return new Answer(s, "{\"msg\":\"failed\"}", 0);
        }

        static Answer json(String body) {
            return new Answer(200, body, 0);
        }

        static Answer slow(long ms) {
            return new Answer(200, "{}", ms);
        }
    }

    private final HttpServer server;
    private final String key;
    private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    private volatile Function<Integer, Answer> answers = n -> Answer.ok();

    WebhookStub(String encryptKey) throws IOException {
        this.key = encryptKey;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String ts = exchange.getRequestHeaders().getFirst("X-Lark-Request-Timestamp");
            String nonce = exchange.getRequestHeaders().getFirst("X-Lark-Request-Nonce");
            String sig = exchange.getRequestHeaders().getFirst("X-Lark-Signature");
            boolean ok = ts != null && nonce != null && sig != null
                    && PlatformCrypto.sign(ts, nonce, key, body).equals(sig);
            String raw = new String(body, StandardCharsets.UTF_8);
            JsonNode event = Envelope.JSON.readTree(PlatformCrypto.decrypt(key, Envelope.JSON.readTree(raw).path("encrypt").asText()));
            int n;
            synchronized (received) {
                received.add(new Received(exchange.getRequestURI().getPath(),
                        Map.of("ts", String.valueOf(ts), "nonce", String.valueOf(nonce)), raw, event, ok));
                n = received.size();
            }
            Answer a = answers.apply(n);
            if (a.delayMs() > 0) {
                try {
                    Thread.sleep(a.delayMs());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            try {
                exchange.sendResponseHeaders(a.status(), out.length);
                try (OutputStream o = exchange.getResponseBody()) {
                    o.write(out);
                }
            } catch (IOException gone) {
                // the pusher stopped waiting (deadline)
            }
        });
        server.start();
    }

    /** Answers the n-th request (counted from 1) with {@code f(n)}. */
    WebhookStub answering(Function<Integer, Answer> f) {
        answers = f;
        return this;
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Received> received() {
        return new ArrayList<>(received);
    }

    /** Waits up to 10 s until at least {@code n} requests arrived. */
    List<Received> await(int n) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (received.size() < n && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        return received();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
