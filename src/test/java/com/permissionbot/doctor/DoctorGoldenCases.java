package com.permissionbot.doctor;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.domain.Quota;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The doctor's cards for the golden-file test: all good, things to fix (Apply and the console link), after Test. */
public final class DoctorGoldenCases {
    static final Instant AT = Instant.parse("2026-11-22T09:30:00Z");
    static final String NONCE = "n-5f1c2a9e";

    static Quota quota(int used) {
        return new Quota("2ed263bf32cf1651", "1.4.0", used, used >= Quota.LIMIT, Instant.parse("2026-11-22T08:00:00Z"),
                "ou_7d8a6e6df7621556ce0d21922b676706");
    }

    private DoctorGoldenCases() {}

    static Report allGood() {
        return new Report(List.of(
                Check.ok(Topic.CREDENTIALS, "App ID 与 App Secret 有效。", "The app id and secret work."),
                Check.ok(Topic.TRANSPORT, "长连接：bot-1 自 2026-11-22 09:00:00 UTC 起已连接。", "Long connection: bot-1 connected since 2026-11-22 09:00:00 UTC."),
                Check.note(Topic.CALLBACKS, "点下面的「测试回调」。", "Press Test below."),
                Check.ok(Topic.CLOCK, "相差 0 秒。", "0 s apart.")), List.of(), List.of(), AT);
    }

    static Report toFix() {
        return new Report(List.of(
                Check.ok(Topic.CREDENTIALS, "App ID 与 App Secret 有效。", "The app id and secret work."),
                new Check(Topic.SCOPES, Verdict.FIX, "缺 approval:approval（已声明）<at id=all></at>", "approval:approval is declared but not granted [x](http://evil)",
                        "99991672", "20261122093000ABCDEF"),
                Check.fix(Topic.SCOPES, "应用没有声明 im:message.p2p_msg:readonly。", "The app does not declare im:message.p2p_msg:readonly."),
                new Check(Topic.VERSION, Verdict.SKIPPED, "未检查。", "Not checked.", "", "")),
                List.of("approval:approval"), List.of("im:message.p2p_msg:readonly"), AT);
    }

    public static Map<String, Supplier<Card>> cases(CardRenderer r) {
        DoctorCards cards = new DoctorCards(r, "cli_a5d611352af9d00b", "https://open.feishu.cn");
        Map<String, Supplier<Card>> c = new LinkedHashMap<>();
        c.put("doctor_all_good", () -> cards.card(allGood(), null, "report-1", NONCE));
        c.put("doctor_to_fix", () -> cards.card(toFix(), quota(3), "report-2", NONCE));
        c.put("doctor_to_fix_used_up", () -> cards.card(toFix(), quota(Quota.LIMIT), "report-3", NONCE));
        c.put("doctor_tested", () -> cards.card(DoctorCards.tested(allGood()), null, null, NONCE));
        return c;
    }
}
