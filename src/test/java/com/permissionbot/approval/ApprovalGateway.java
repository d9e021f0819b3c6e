package com.permissionbot.approval;

import com.permissionbot.cards.Card;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.support.FakeGateway;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link FakeGateway} with the approval subscribe APIs scripted: the next answers of each, call counters, and the
 * message APIs' uuid de-duplication and scripted failures for send and update.
 */
public class ApprovalGateway extends FakeGateway {
    public final AtomicInteger subscribeCalls = new AtomicInteger();
    public final AtomicInteger unsubscribeCalls = new AtomicInteger();
    public final List<String> subscribed = new ArrayList<>();
    private final List<PlatformResult<Void>> subscribeAnswers = new ArrayList<>();
    private final List<PlatformResult<Void>> unsubscribeAnswers = new ArrayList<>();
    private final List<PlatformResult<String>> sendAnswers = new ArrayList<>();
    private final List<PlatformResult<Void>> updateAnswers = new ArrayList<>();
    private final Map<String, String> uuids = new HashMap<>();

    /** The next subscribe calls answer these, in order; after them every call succeeds. */
    @SafeVarargs
    public final synchronized ApprovalGateway subscribeAnswers(PlatformResult<Void>... answers) {
        subscribeAnswers.addAll(List.of(answers));
        return this;
    }

    @SafeVarargs
    public final synchronized ApprovalGateway unsubscribeAnswers(PlatformResult<Void>... answers) {
        unsubscribeAnswers.addAll(List.of(answers));
        return this;
    }

    /** The next sends fail with these (a failed send says nothing). */
    @SafeVarargs
    public final synchronized ApprovalGateway sendFails(PlatformResult<String>... answers) {
        sendAnswers.addAll(List.of(answers));
        return this;
    }

    @SafeVarargs
    public final synchronized ApprovalGateway updateFails(PlatformResult<Void>... answers) {
        updateAnswers.addAll(List.of(answers));
        return this;
    }

    @Override
    public synchronized PlatformResult<Void> subscribeApproval(String approvalCode) {
        subscribeCalls.incrementAndGet();
        if (!subscribeAnswers.isEmpty()) return subscribeAnswers.remove(0);
        if (subscribed.contains(approvalCode)) return fail(ApprovalService.CODE_SUBSCRIPTION_EXISTED, 400);
        subscribed.add(approvalCode);
        return ok(null);
    }

    @Override
    public synchronized PlatformResult<Void> unsubscribeApproval(String approvalCode) {
        unsubscribeCalls.incrementAndGet();
        if (!unsubscribeAnswers.isEmpty()) return unsubscribeAnswers.remove(0);
        return subscribed.remove(approvalCode) ? ok(null) : fail(ApprovalService.CODE_SUBSCRIPTION_EXISTED, 400);
    }

    /** Like the platform: a repeat of a uuid returns the first message (protocol §4.1). */
    @Override
    public synchronized PlatformResult<String> sendCard(String chatId, Card card, String uuid) {
        if (!sendAnswers.isEmpty()) return sendAnswers.remove(0);
        if (uuid != null && uuids.containsKey(uuid)) return ok(uuids.get(uuid));
        PlatformResult<String> r = super.sendCard(chatId, card, uuid);
        if (uuid != null) uuids.put(uuid, r.value());
        return r;
    }

    @Override
    public synchronized PlatformResult<Void> updateCard(String messageId, Card card) {
        if (!updateAnswers.isEmpty()) return updateAnswers.remove(0);
        return super.updateCard(messageId, card);
    }

    /** What the bot sent or patched, of one kind ("send", "update", "reply"). */
    public List<Said> said(String kind) {
        synchronized (said) {
            return said.stream().filter(s -> s.kind().equals(kind)).toList();
        }
    }
}
