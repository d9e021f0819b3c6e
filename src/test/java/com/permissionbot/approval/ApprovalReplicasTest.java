package com.permissionbot.approval;

import com.permissionbot.support.FakeGateway;

import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.store.ApprovalSubscription;
import com.permissionbot.store.JdbcStore;
import com.permissionbot.store.Store;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Two replicas changing one approval code's subscription at once: an unsubscribe of the last chat on one racing a
 * subscribe on the other must never leave a chat registered while the platform is unsubscribed.
 */
class ApprovalReplicasTest {
    static final String CODE = "7C468A54-8745-2245-9675-08B7C63E7A85";
    @TempDir
    Path dir;

    /** The platform's subscribe and unsubscribe each take a moment, which is when the other replica gets in. */
    static final class SlowGateway extends FakeGateway {
        @Override
        public PlatformResult<Void> subscribeApproval(String code) {
            BotHarness.sleep(15);
            return super.subscribeApproval(code);
        }

        @Override
        public PlatformResult<Void> unsubscribeApproval(String code) {
            BotHarness.sleep(15);
            return super.unsubscribeApproval(code);
        }
    }

    @Test
    void an_unsubscribe_racing_a_subscribe_on_another_replica_leaves_the_platform_and_the_chats_agreeing() {
        MutableClock clock = new MutableClock(Instant.parse("2026-11-22T08:00:00Z"));
        SlowGateway platform = new SlowGateway();
        Path db = dir.resolve("replicas.db");
        try (Store a = JdbcStore.open("jdbc:sqlite:" + db); Store b = JdbcStore.open("jdbc:sqlite:" + db)) {
            ApprovalService replicaA = new ApprovalService(platform, RetryPolicy.immediate(), a, clock, List.of(), "replica-a");
            ApprovalService replicaB = new ApprovalService(platform, RetryPolicy.immediate(), b, clock, List.of(), "replica-b");
            for (int round = 0; round < 20; round++) {
                String first = "oc_first_" + round;
                String second = "oc_second_" + round;
                replicaA.subscribe("t1", first, "ou_alice", CODE);
                CompletableFuture<?> leave = CompletableFuture.runAsync(() -> replicaA.unsubscribe("t1", first, "ou_alice", CODE));
                CompletableFuture<?> join = CompletableFuture.runAsync(() -> replicaB.subscribe("t1", second, "ou_bob", CODE));
                CompletableFuture.allOf(leave, join).join();
                List<String> chats = a.approvalSubscribers(CODE).stream().map(ApprovalSubscription::chatId).toList();
                assertEquals(List.of(second), chats, "round " + round);
                assertEquals(List.of(CODE), platform.subscribed, "round " + round + ": a chat is registered, so the app must be subscribed");
                replicaB.unsubscribe("t1", second, "ou_bob", CODE);
                assertEquals(List.of(), platform.subscribed);
            }
        }
    }
}
