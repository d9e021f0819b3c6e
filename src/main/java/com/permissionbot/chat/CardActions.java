package com.permissionbot.chat;

import com.permissionbot.domain.CardClick;
import com.permissionbot.cards.Card;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.store.ActionClaim;
import com.permissionbot.store.ClickAnswer;
import com.permissionbot.store.OutboxMessage;
import com.permissionbot.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Routes card clicks to handlers by their {@code action} value, once per (message, operator, value): a double
 * click, or the same click on another replica, gets the first click's answer instead of running again. A click whose
 * work outlasts the callback is held with a fallback answer: the card ends in the work's outcome, or in the fallback
 * if the work fails or the process dies, and never stays "working".
 */
public final class CardActions {
    private static final Logger log = LoggerFactory.getLogger(CardActions.class);

    /** How long after answering a callback its card may be updated. */
    static final long UPDATE_AFTER_MS = 500;
    /** A handler still running this long after its click was claimed has died (the callback must answer in 3 s). */
    static final Duration CLAIM_TIME = Duration.ofSeconds(30);
    /** How long slow work may go on before its fallback becomes the card (its calls each end within the call timeout). */
    static final Duration SLOW_TIME = Duration.ofSeconds(60);

    private final Store store;
    private final Outbox outbox;
    private final Clock clock;
    private final Registry registry;
    private volatile Map<String, Registry.Action> handlers;

    /** {@code registry}: where the features' buttons are; read at the first click, once all have registered. */
    public CardActions(Store store, Outbox outbox, Clock clock, Registry registry) {
        this.store = store;
        this.outbox = outbox;
        this.clock = clock;
        this.registry = registry;
    }

    public CardAnswer handle(CardClick click) {
        Map<String, Registry.Action> known = handlers;
        if (known == null) handlers = known = registry.actions();
        Registry.Action a = known.get(click.action());
        if (a == null) {
            log.warn("click on message {} with unknown action '{}'", click.messageId(), click.action());
            return CardAnswer.toast("warning", "这个按钮已失效，请重新发起。", "This button is no longer active; please ask again.");
        }
        CardActionHandler h = a.handler();
        if (a.repeatable()) return h.handle(click);
        String key = key(click);
        Instant now = clock.instant();
        ActionClaim claim = store.claimAction(key, now, now.plus(CLAIM_TIME));
        if (!claim.fresh()) return repeated(claim, now);
        CardAnswer answer;
        try {
            answer = h.handle(click);
        } catch (RuntimeException e) {
            store.releaseAction(key);
            throw e;
        }
        if (answer.clickAgain()) {
            store.releaseAction(key);
        } else if (answer.slow() != null) {
            hold(click, key, answer.slow());
        } else {
            try {
                store.finishAction(key, write(answer), clock.instant());
            } catch (RuntimeException e) {
                // the work is done and its answer goes back to the user; a repeat after the claim's time runs again
                log.error("click on message {}: its answer could not be stored: {}", click.messageId(), e.toString());
            }
        }
        return answer;
    }

    /** The answer to a click made again: the first answer, "still working", or the fallback of work that never ended. */
    private CardAnswer repeated(ActionClaim claim, Instant now) {
        if (claim.finished()) {
            CardAnswer earlier = read(claim.response());
            return new CardAnswer("info", "已处理过这次点击。", "This click was already handled.", earlier == null ? null : earlier.card());
        }
        if (now.isBefore(claim.deadline())) {
            return CardAnswer.toast("info", "上一次点击仍在处理中，请稍候。", "Your previous click is still being handled; one moment.");
        }
        CardAnswer fallback = read(claim.response());
        return new CardAnswer("warning", "上一次点击没有等到飞书的结果。", "Your previous click never got Feishu's answer.",
                fallback == null ? null : fallback.card());
    }

    /**
     * Stores the fallback, and the card update that shows it once the time is up, then waits for the work, whose outcome
     * replaces both. The platform wants the callback answered before the card is updated
     * (https://open.feishu.cn/document/feishu-cards/card-callback-communication).
     */
    private void hold(CardClick click, String key, CardAnswer.Slow slow) {
        Instant deadline = clock.instant().plus(SLOW_TIME);
        try {
            store.atomically(tx -> {
                tx.holdAction(key, write(slow.fallback()), deadline);
                tx.outboxAdd(updates(click, slow.fallback(), "fallback", deadline));
                return null;
            });
        } catch (RuntimeException e) {
            log.error("click on message {}: its fallback could not be stored: {}", click.messageId(), e.toString());
        }
        slow.result().thenApplyAsync(a -> a, CompletableFuture.delayedExecutor(UPDATE_AFTER_MS, TimeUnit.MILLISECONDS))
                .whenComplete((last, err) -> finish(click, key, err == null && last != null ? last : slow.fallback(), err));
    }

    /** The slow work ended (or failed): remember its answer and update the card in place, in one step. */
    private void finish(CardClick click, String key, CardAnswer last, Throwable err) {
        if (err != null) {
            log.error("click on message {}: the slow part failed: {}; the card shows the fallback", click.messageId(), err.toString());
        }
        try {
            store.atomically(tx -> {
                tx.finishAction(key, write(last), clock.instant());
                tx.outboxAdd(updates(click, last, "outcome", clock.instant()));
                return null;
            });
            outbox.wake();
        } catch (RuntimeException e) {
            log.error("click on message {}: its outcome could not be stored ({}); updating the card directly", click.messageId(), e.toString());
            try {
                for (OutboxMessage m : updates(click, last, "outcome", clock.instant())) outbox.deliver(m);
            } catch (RuntimeException again) {
                log.error("click on message {}: the card could not be updated either: {}", click.messageId(), again.toString());
            }
        }
    }

    /** https://open.feishu.cn/document/server-docs/im-v1/message-card/patch : the clicked card, replaced in place. */
    private static List<OutboxMessage> updates(CardClick click, CardAnswer a, String what, Instant due) {
        if (a.card() == null) return List.of();
        return List.of(OutboxMessage.update(click.messageId(), a.card(), "click on message " + click.messageId() + ": "
                + what + " card '" + a.card().name() + "'", due));
    }

    /** message + operator + the button's value with sorted keys. */
    static String key(CardClick c) {
        return c.messageId() + "|" + c.operatorOpenId() + "|" + new TreeMap<>(c.value());
    }

    private static ClickAnswer write(CardAnswer a) {
        return new ClickAnswer(a.toastType(), a.toastZh(), a.toastEn(), a.card() == null ? null : a.card().name(),
                a.card() == null ? null : a.card().toJson());
    }

    private static CardAnswer read(ClickAnswer a) {
        if (a == null) return null;
        return new CardAnswer(a.toastType(), a.toastZh(), a.toastEn(), a.cardJson() == null ? null : new Card(a.cardName(), a.cardJson()));
    }
}
