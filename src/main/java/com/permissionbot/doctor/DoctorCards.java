package com.permissionbot.doctor;

import com.permissionbot.cards.Card;
import com.permissionbot.cards.CardRenderer;
import com.permissionbot.cards.CardRenderer.Vars;
import com.permissionbot.cards.Markdown;
import com.permissionbot.domain.Quota;
import com.permissionbot.scopes.ConsoleLink;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** The doctor's card: one line per check, Apply for the bot's own scopes, the console link, and the Test button. */
public final class DoctorCards {
    public static final String DOCTOR = "doctor";
    public static final String ACTION_TEST = "doctor_test";
    public static final List<String> TEMPLATES = List.of(DOCTOR);
    private static final DateTimeFormatter AT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private final CardRenderer renderer;
    private final String appId;
    private final String console;

    public DoctorCards(CardRenderer renderer, String appId, String consoleOrigin) {
        this.renderer = renderer;
        this.appId = appId;
        this.console = consoleOrigin;
    }

    /**
     * The report as a card; {@code reportId} is what the Test button carries (null: no Test button, as on the card its
     * click shows). Every check's text is escaped: it may quote what the platform answered.
     */
    public Card card(Report r, Quota quota, String reportId, String nonce) {
        boolean apply = !r.toApply().isEmpty();
        int left = quota == null ? 0 : quota.left();
        String version = quota == null || quota.version() == null ? "" : quota.version();
        long fix = r.count(Verdict.FIX);
        return renderer.render(DOCTOR, Vars.of()
                .trusted("summary_zh", fix == 0 ? "一切正常" : fix + " 项需要处理")
                .trusted("summary_en", fix == 0 ? "all good" : fix + (fix == 1 ? " thing" : " things") + " to fix")
                .trusted("color", fix == 0 ? "green" : "red")
                .markdownList("checks_zh", r.checks().stream().map(c -> line(c, c.topic().zh, c.zh(), "：", "，")).toList())
                .markdownList("checks_en", r.checks().stream().map(c -> line(c, c.topic().en, c.en(), ": ", ", ")).toList())
                .flag("can_apply", apply && left > 0)
                .flag("used_up", apply && left <= 0)
                .text("version", version.isBlank() ? "?" : version)
                .trusted("version_value", version)
                .number("used", quota == null ? 0 : quota.shown())
                .trusted("nonce", nonce)
                .flag("has_undeclared", !r.toDeclare().isEmpty())
                .trusted("console_url", ConsoleLink.url(console, appId, r.toDeclare(), "tenant"))
                .flag("can_test", reportId != null)
                .trusted("report", reportId == null ? "" : reportId)
                .trusted("at", AT.format(r.at())));
    }

    /** The same report after its Test click reached the bot. */
    public static Report tested(Report r) {
        return new Report(r.checks().stream().map(c -> c.topic() != Topic.CALLBACKS ? c
                : Check.ok(Topic.CALLBACKS, "「测试回调」的点击已到达机器人，这张卡片就是它更新的。",
                "The Test click reached the bot: it updated this card.")).toList(), r.toApply(), r.toDeclare(), r.at());
    }

    private static String line(Check c, String topic, String text, String colon, String sep) {
        String support = c.code().isEmpty() ? "" : " (code " + c.code() + (c.logId().isEmpty() ? "" : sep + "log_id " + c.logId()) + ")";
        return c.verdict().mark + " **" + Markdown.escape(topic) + "**" + colon + Markdown.escape(text + support);
    }
}
