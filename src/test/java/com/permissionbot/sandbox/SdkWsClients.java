package com.permissionbot.sandbox;

import com.lark.oapi.event.EventDispatcher;
import com.lark.oapi.okhttp.OkHttpClient;
import com.lark.oapi.okhttp.WebSocket;
import com.lark.oapi.ws.Client;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The SDK 2.5.3's own long-connection client ({@code com.lark.oapi.ws.Client}) started against an emulator, and a
 * test-only stop, which that client lacks (oapi-sdk-java {@code ws/Client.java}: no close, non-daemon threads, a ping
 * loop that never ends). The stop works on the client's fields: it switches reconnecting off, closes the socket, and
 * nulls the intervals so that the ping and reconnect loops end at their next sleep (the same null unboxing that ends
 * its reconnect when a ClientConfig field is missing).
 */
final class SdkWsClients {

    private SdkWsClients() {
    }

    static Client start(PlatformEmulator p, EventDispatcher dispatcher) {
        return start(p.baseUrl(), p.config().appId(), p.config().appSecret(), dispatcher);
    }

    static Client start(String base, String appId, String secret, EventDispatcher dispatcher) {
        Client c = new Client.Builder(appId, secret).domain(base).eventHandler(dispatcher).build();
        c.start();
        return c;
    }

    /** The timing the client works with now (read from its fields): count, interval, nonce, ping, all in seconds. */
    static ClientConfig timing(Client c) {
        return new ClientConfig((Integer) get(c, "reconnectCount"), (Integer) get(c, "reconnectInterval"),
                (Integer) get(c, "reconnectNonce"), (Integer) get(c, "pingInterval"));
    }

    /** The id of the connection the client holds, or null. */
    static String connectionId(Client c) {
        return (String) get(c, "connId");
    }

    /** Stops the client and waits (bounded) until its threads are gone. */
    static void stop(Client c) throws InterruptedException {
        set(c, "autoReconnect", false);
        set(c, "domain", "http://127.0.0.1:1");
        WebSocket conn = (WebSocket) get(c, "conn");
        if (conn != null) {
            conn.close(1000, "test over");
            long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (get(c, "conn") != null && System.nanoTime() < end) Thread.sleep(20);
            if (get(c, "conn") != null) conn.cancel();
        }
        set(c, "pingInterval", null);
        set(c, "reconnectInterval", null);
        for (Thread t : loopThreads()) {
            t.setUncaughtExceptionHandler((th, e) -> { });
            t.interrupt();
        }
        ExecutorService executor = (ExecutorService) get(c, "executor");
        executor.shutdown();
        OkHttpClient http = (OkHttpClient) get(c, "httpClient");
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
        if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the SDK client's threads did not end: " + loopThreads());
        }
        http.dispatcher().executorService().awaitTermination(10, TimeUnit.SECONDS);
    }

    /** Live threads running the client's ping or reconnect loop, of any client. */
    static List<Thread> loopThreads() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().equals(Client.class.getName())
                        && (f.getMethodName().equals("pingLoop") || f.getMethodName().equals("reconnect"))))
                .map(java.util.Map.Entry::getKey).toList();
    }

    /** Live non-daemon threads of the SDK's long connection (its loops, its handlers, its WebSocket). */
    static List<Thread> leftovers() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> !e.getKey().isDaemon())
                .filter(e -> e.getKey().getName().startsWith("OkHttp WebSocket")
                        || Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().startsWith("com.lark.oapi.ws.")))
                .map(java.util.Map.Entry::getKey).toList();
    }

    private static Object get(Client c, String name) {
        try {
            return field(name).get(c);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void set(Client c, String name, Object value) {
        try {
            field(name).set(c, value);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field field(String name) {
        try {
            Field f = Client.class.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("oapi-sdk's ws.Client has no field " + name + " (not 2.5.3?)", e);
        }
    }
}
