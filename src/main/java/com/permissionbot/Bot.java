package com.permissionbot;

import com.permissionbot.approval.ApprovalCards;
import com.permissionbot.approval.ApprovalEvents;
import com.permissionbot.approval.ApprovalService;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.chat.ApprovalHandlers;
import com.permissionbot.chat.CardActions;
import com.permissionbot.chat.Conversation;
import com.permissionbot.chat.DiagnoseHandlers;
import com.permissionbot.chat.DoctorHandlers;
import com.permissionbot.chat.GrantCards;
import com.permissionbot.chat.GrantNotices;
import com.permissionbot.chat.OpsRequests;
import com.permissionbot.chat.Registry;
import com.permissionbot.chat.ScopeCards;
import com.permissionbot.chat.ScopeHandlers;
import com.permissionbot.config.BotConfig;
import com.permissionbot.diagnose.DiagnoseCards;
import com.permissionbot.doctor.Doctor;
import com.permissionbot.doctor.DoctorCards;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.RetryPolicy;
import com.permissionbot.outbox.Outbox;
import com.permissionbot.scopes.ConsoleLink;
import com.permissionbot.scopes.GrantWatcher;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.store.Store;

import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * The bot's features and the services behind them, built from their dependencies and registered in one
 * {@link Registry}; {@link App} adds the transports, the inbox, the HTTP server and the timers, and conversation tests
 * build exactly this, so they see production's intents, precedence and buttons.
 */
public final class Bot {
    public final Registry registry = new Registry();
    public final CardRenderer cards;
    public final Conversation conversation;
    public final CardActions actions;
    public final ScopeService scopes;
    public final ApprovalService approvals;
    public final GrantWatcher watcher;

    /**
     * {@code work}: threads for clicks whose platform calls outlast the callback; {@code owner}: this process, for
     * leases; {@code transports}: every running process's transport report, for the doctor.
     */
    public Bot(BotConfig cfg, Store store, FeishuGateway gateway, RetryPolicy retry, Outbox outbox, Clock clock, String owner,
               ExecutorService work, Supplier<Conversation.BotSelf> self, Doctor.Transports transports) {
        cards = new CardRenderer(cfg.cardsDir());
        conversation = new Conversation(outbox, cards, self, clock, registry);
        actions = new CardActions(store, outbox, clock, registry);
        GrantCards grantCards = new GrantCards(cards);
        // the admins' card links the app's permissions page in the developer console (the link Feishu itself gives)
        OpsRequests ops = new OpsRequests(grantCards, store, cfg.follow().opsChatId(), cfg.follow().horizon(),
                ConsoleLink.url(cfg.feishu().consoleOrigin(), cfg.feishu().appId(), List.of(), "tenant"));
        scopes = new ScopeService(gateway, retry, store, clock, cfg.apply(), cfg.feishu().appVersion(), owner,
                cfg.follow().scopesCache(), ops, outbox::wake);
        approvals = new ApprovalService(gateway, retry, store, clock, cfg.approvalCodes(), owner);
        ApprovalCards approvalCards = new ApprovalCards(cards);
        GrantNotices notices = new GrantNotices(grantCards, scopes, store, cfg.follow().horizon(), cfg.follow().opsChatId(),
                clock, ops);
        watcher = new GrantWatcher(scopes, store, clock, notices, cfg.follow().horizon(), cfg.follow().maxInterval(), owner,
                outbox::wake);
        conversation.register(registry);
        new ScopeHandlers(scopes, new ScopeCards(cards), work, cfg.apply().answerWithin()).register(registry);
        new DiagnoseHandlers(scopes, cards, store, clock, cfg.feishu().appId(), cfg.feishu().consoleOrigin()).register(registry);
        new ApprovalHandlers(approvals, new ApprovalEvents(store, approvalCards, clock, outbox::wake), approvalCards, scopes, clock)
                .register(registry);
        notices.register(registry);
        new DoctorHandlers(new Doctor(cfg, gateway, store, transports, clock, owner),
                new DoctorCards(cards, cfg.feishu().appId(), cfg.feishu().consoleOrigin()), scopes, store, clock).register(registry);
        cards.load(registry.templates());
    }

    /** Every card template the features render, as their registrations name them (checked against the registry in tests). */
    public static Set<String> templates() {
        Set<String> all = new TreeSet<>(Conversation.TEMPLATES);
        all.addAll(ScopeCards.TEMPLATES);
        all.addAll(DiagnoseCards.TEMPLATES);
        all.addAll(ApprovalCards.TEMPLATES);
        all.addAll(GrantCards.TEMPLATES);
        all.addAll(DoctorCards.TEMPLATES);
        return all;
    }
}
