package com.permissionbot.chat;

import com.permissionbot.cards.Card;
import com.permissionbot.doctor.Doctor;
import com.permissionbot.doctor.DoctorCards;
import com.permissionbot.doctor.Report;
import com.permissionbot.domain.CardClick;
import com.permissionbot.scopes.ScopeService;
import com.permissionbot.store.Store;

import java.time.Clock;
import java.util.UUID;

/**
 * "doctor" / "自检": the deployment checked end to end, as a card. Its Apply button is the scope cards' (same flow and
 * quota guard); its Test button's click answers with the card prepared for it, so the card updating proves that
 * callbacks reach the bot, on whichever replica takes the click.
 */
public final class DoctorHandlers implements Feature {
    static final String DOCTOR = "doctor|自检|自我检查|self[- ]?check|health ?check|检查部署";

    private final Doctor doctor;
    private final DoctorCards cards;
    private final ScopeService scopes;
    private final Store store;
    private final Clock clock;

    public DoctorHandlers(Doctor doctor, DoctorCards cards, ScopeService scopes, Store store, Clock clock) {
        this.doctor = doctor;
        this.cards = cards;
        this.scopes = scopes;
        this.store = store;
        this.clock = clock;
    }

    @Override
    public void register(Registry r) {
        r.intent("doctor", 23, DOCTOR, new Registry.Help("**自检** — 检查部署：凭证、事件通道、卡片回调、机器人自身的权限、版本、审批订阅、数据库、时钟",
                        "**doctor** — checks this deployment: credentials, transport, card callbacks, the bot's own scopes, version, approvals, database, clock"),
                        c -> doctor(c.message().tenantKey()))
                .repeatableAction(DoctorCards.ACTION_TEST, this::test)
                .templates(DoctorCards.TEMPLATES.toArray(String[]::new));
    }

    private Card doctor(String tenant) {
        Report report = doctor.run(true);
        String id = UUID.randomUUID().toString();
        String nonce = id.substring(0, 8);
        var quota = report.toApply().isEmpty() ? null : scopes.quota(tenant);
        store.savePreparedCard(DoctorCards.ACTION_TEST + ":" + id, cards.card(DoctorCards.tested(report), quota, null, nonce), clock.instant());
        return cards.card(report, quota, id, nonce);
    }

    private CardAnswer test(CardClick c) {
        String id = c.value().getOrDefault("report", "");
        return store.preparedCard(DoctorCards.ACTION_TEST + ":" + id)
                .map(card -> new CardAnswer("success", "卡片回调正常：点击已到达机器人。", "Card callbacks work: the click reached the bot.", card))
                .orElse(CardAnswer.toast("success", "卡片回调正常（这份自检报告已过期，重新发送「自检」可获得新报告）。",
                        "Card callbacks work (this report has expired; send \"doctor\" for a new one)."));
    }
}
