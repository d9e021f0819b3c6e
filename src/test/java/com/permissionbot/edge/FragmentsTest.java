package com.permissionbot.edge;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Joining a long-connection message's parts: in seq order, once, under a lock, within bounds of count, size and age. */
class FragmentsTest {
    final AtomicLong now = new AtomicLong();

    Fragments fragments(int maxMessages, long maxMessageBytes, long maxBytes) {
        return new Fragments(maxMessages, maxMessageBytes, maxBytes, Duration.ofSeconds(30), now::get);
    }

    static byte[][] split(String s, int parts) {
        byte[] all = s.getBytes(StandardCharsets.UTF_8);
        byte[][] out = new byte[parts][];
        int size = (all.length + parts - 1) / parts;
        for (int i = 0; i < parts; i++) {
            out[i] = java.util.Arrays.copyOfRange(all, Math.min(i * size, all.length), Math.min((i + 1) * size, all.length));
        }
        return out;
    }

    @Test
    void parts_in_any_order_are_joined_in_seq_order_once_the_last_arrives() {
        Fragments f = fragments(8, 1 << 20, 4 << 20);
        byte[][] p = split("{\"schema\":\"2.0\",\"text\":\"缺少哪些权限\"}", 4);
        assertNull(f.add("m1", 4, 2, p[2]));
        assertNull(f.add("m1", 4, 0, p[0]));
        assertNull(f.add("m1", 4, 2, p[2]), "a part twice counts once");
        assertNull(f.add("m1", 4, 3, p[3]));
        assertArrayEquals("{\"schema\":\"2.0\",\"text\":\"缺少哪些权限\"}".getBytes(StandardCharsets.UTF_8), f.add("m1", 4, 1, p[1]));
        assertEquals(0, f.pending());
        assertEquals(0, f.held());
        assertNull(f.add("m1", 4, 0, p[0]), "pushed again: joined again from scratch (the intake de-duplicates)");
    }

    @Test
    void unusable_parts_are_dropped() {
        Fragments f = fragments(8, 1 << 20, 4 << 20);
        assertNull(f.add("m", 3, 3, new byte[1]), "seq out of range");
        assertNull(f.add("m", 3, -1, new byte[1]));
        assertNull(f.add("", 3, 0, new byte[1]), "no message id");
        assertNull(f.add("m", Fragments.MAX_PARTS + 1, 0, new byte[1]), "too many parts");
        assertEquals(0, f.pending());
    }

    @Test
    void the_oldest_message_gives_way_when_too_many_are_in_parts() {
        Fragments f = fragments(2, 1 << 20, 4 << 20);
        f.add("a", 2, 0, new byte[] {1});
        f.add("b", 2, 0, new byte[] {2});
        f.add("c", 2, 0, new byte[] {3});
        assertEquals(2, f.pending());
        assertNull(f.add("a", 2, 1, new byte[] {9}), "a was dropped: its second part starts it over");
        assertArrayEquals(new byte[] {3, 4}, f.add("c", 2, 1, new byte[] {4}));
    }

    @Test
    void a_message_over_its_size_is_dropped_and_other_messages_give_way_to_the_total() {
        Fragments f = fragments(8, 10, 16);
        assertNull(f.add("big", 3, 0, new byte[6]));
        assertNull(f.add("big", 3, 1, new byte[6]), "12 bytes > 10");
        assertEquals(0, f.pending());
        f.add("x", 2, 0, new byte[8]);
        f.add("y", 2, 0, new byte[8]);
        assertEquals(16, f.held());
        f.add("z", 2, 0, new byte[8]);
        assertEquals(2, f.pending(), "x gave way to the 16-byte total");
        assertEquals(16, f.held());
    }

    @Test
    void parts_older_than_the_age_limit_are_forgotten() {
        Fragments f = fragments(8, 1 << 20, 4 << 20);
        f.add("old", 2, 0, new byte[] {1});
        now.addAndGet(Duration.ofSeconds(31).toNanos());
        f.add("new", 2, 0, new byte[] {2});
        assertEquals(1, f.pending());
        assertNull(f.add("old", 2, 1, new byte[] {3}));
    }

    @Test
    void many_messages_in_many_parts_from_many_threads_are_each_joined_exactly_once() throws Exception {
        Fragments f = fragments(1000, 1 << 20, 64 << 20);
        int messages = 200;
        int parts = 25;
        Map<String, String> texts = new ConcurrentHashMap<>();
        List<Object[]> all = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (int m = 0; m < messages; m++) {
            String text = json.createObjectNode().put("n", m).put("pad", "权限 ".repeat(40 + m)).toString();
            texts.put("m" + m, text);
            byte[][] p = split(text, parts);
            for (int i = 0; i < parts; i++) all.add(new Object[] {"m" + m, i, p[i]});
        }
        Collections.shuffle(all, new java.util.Random(7));
        Map<String, AtomicInteger> joined = new ConcurrentHashMap<>();
        Map<String, String> got = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        try {
            for (Object[] x : all) {
                pool.execute(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    byte[] whole = f.add((String) x[0], parts, (Integer) x[1], (byte[]) x[2]);
                    if (whole != null) {
                        joined.computeIfAbsent((String) x[0], k -> new AtomicInteger()).incrementAndGet();
                        got.put((String) x[0], new String(whole, StandardCharsets.UTF_8));
                    }
                });
            }
            go.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(20, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
        assertEquals(messages, joined.size());
        assertTrue(joined.values().stream().allMatch(n -> n.get() == 1), "each joined once: " + joined);
        assertEquals(texts, got);
        assertEquals(0, f.pending());
        assertEquals(0, f.held());
    }
}
