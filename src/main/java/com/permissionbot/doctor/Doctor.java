package com.permissionbot.doctor;

import com.permissionbot.config.BotConfig;
import com.permissionbot.feishu.AppInfo;
import com.permissionbot.feishu.AppVersion;
import com.permissionbot.feishu.BotIdentity;
import com.permissionbot.feishu.FeishuGateway;
import com.permissionbot.feishu.PlatformResult;
import com.permissionbot.feishu.ScopeGrant;
import com.permissionbot.store.Backlog;
import com.permissionbot.store.Store;
import com.permissionbot.store.TransportReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the deployment end to end, the same way in chat and on the command line: the credentials, the bot
 * capability, the transport (every running process's report), the bot's own scopes, a published version, the
 * configured approval subscriptions, the database and the clock. One call per platform check, no retries: the doctor
 * reports what the platform answers now. Nothing here throws; a check that cannot run says why.
 */
public final class Doctor {
    private static final Logger log = LoggerFactory.getLogger(Doctor.class);
    /** A process that has not reported for this long is taken to be gone (it reports every 15 s). */
    public static final Duration REPORT_FRESH = Duration.ofSeconds(60);
    /** Events stored but not handled for longer than this mean the workers are stuck (or no process is running). */
    static final Duration INBOX_STUCK = Duration.ofMinutes(2);
    /** Cards owed for longer than this mean the platform keeps refusing them. */
    static final Duration OUTBOX_STUCK = Duration.ofMinutes(10);
    /** Bad signatures in an hour beyond which the encrypt key is probably wrong. */
    static final int MANY_REFUSALS = 5;
    private static final DateTimeFormatter HHMM = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    /** The transport reports made at or after a time (the store's, after this process has written its own). */
    @FunctionalInterface
    public interface Transports {
        List<TransportReport> since(Instant t);
    }

    private final BotConfig cfg;
    private final FeishuGateway gateway;
    private final Store store;
    private final Transports transports;
    private final Clock clock;
    private final String owner;

    public Doctor(BotConfig cfg, FeishuGateway gateway, Store store, Transports transports, Clock clock, String owner) {
        this.cfg = cfg;
        this.gateway = gateway;
        this.store = store;
        this.transports = transports;
        this.clock = clock;
        this.owner = owner;
    }

    /** Every check, in order; {@code inChat}: the card's Test button checks callbacks (the command line cannot). */
    public Report run(boolean inChat) {
        List<Check> out = new ArrayList<>();
        PlatformResult<Instant> token = call(gateway::freshToken);
        Instant local = clock.instant();
        out.add(credentials(token));
        boolean platform = token.ok();
        out.add(platform ? bot(call(gateway::botIdentity)) : skipped(Topic.BOT));
        out.add(transport());
        out.add(inChat ? Check.note(Topic.CALLBACKS, "点下面的「测试回调」：卡片随之更新，就说明卡片回调能到达机器人。",
                "Press Test below: if this card updates, card callbacks reach the bot.")
                : Check.note(Topic.CALLBACKS, "只能在聊天里检查：给机器人发「自检」，再点卡片上的「测试回调」。",
                "Checked in chat only: send the bot \"doctor\" and press Test on its card."));
        Set<String> toApply = new LinkedHashSet<>();
        Set<String> toDeclare = new LinkedHashSet<>();
        if (platform) out.addAll(scopes(call(gateway::listScopes), toApply, toDeclare));
        else out.add(skipped(Topic.SCOPES));
        out.add(platform ? version() : skipped(Topic.VERSION));
        out.addAll(platform ? approvals() : List.of(skipped(Topic.APPROVALS)));
        out.add(database());
        out.add(clock(token, local));
        Report r = new Report(out, List.copyOf(toApply), List.copyOf(toDeclare), clock.instant());
        log.info("doctor: {} ok, {} to fix, {} notes, {} skipped", r.count(Verdict.OK), r.count(Verdict.FIX), r.count(Verdict.NOTE),
                r.count(Verdict.SKIPPED));
        return r;
    }

    private Check credentials(PlatformResult<Instant> r) {
        if (r.ok()) {
            return Check.ok(Topic.CREDENTIALS, "App ID 与 App Secret 有效：已取得 tenant_access_token。",
                    "The app id and secret work: a tenant_access_token was issued.");
        }
        if (r.code() == 10003) {
            return Check.fix(Topic.CREDENTIALS, "飞书不认识这个 App ID（" + cfg.feishu().appId() + "）：核对 FEISHU_APP_ID，应与开发者后台「凭证与基础信息」一致。",
                    "Feishu does not know this app id (" + cfg.feishu().appId() + "): check FEISHU_APP_ID against the console's Credentials page.")
                    .answered(r.code(), r.logId());
        }
        if (r.credentialsRefused()) {
            return Check.fix(Topic.CREDENTIALS, "App Secret 不对：从开发者后台「凭证与基础信息」复制 App Secret 到 FEISHU_APP_SECRET。",
                    "The app secret is wrong: copy the App Secret from the console's Credentials page into FEISHU_APP_SECRET.")
                    .answered(r.code(), r.logId());
        }
        return unanswered(Topic.CREDENTIALS, r, "取 tenant_access_token", "fetching a tenant_access_token");
    }

    private Check bot(PlatformResult<BotIdentity> r) {
        if (r.ok() && r.value() != null && !r.value().openId().isEmpty()) {
            return Check.ok(Topic.BOT, "机器人「" + r.value().name() + "」已启用（open_id " + r.value().openId() + "）。",
                    "The bot \"" + r.value().name() + "\" is enabled (open_id " + r.value().openId() + ").");
        }
        if (r.code() == PlatformResult.NETWORK) return unanswered(Topic.BOT, r, "读取机器人信息", "reading the bot's info");
        return Check.fix(Topic.BOT, "读不到机器人信息：在开发者后台「添加应用能力」里启用「机器人」，然后发布一个版本。",
                "The bot's info cannot be read: enable the Bot capability under Features in the console, then publish a version.")
                .answered(r.code(), r.logId());
    }

    private Check transport() {
        Instant now = clock.instant();
        List<TransportReport> all;
        try {
            all = transports.since(now.minus(Duration.ofHours(1)));
        } catch (RuntimeException e) {
            return Check.fix(Topic.TRANSPORT, "读不到运行中进程的报告（数据库出错：" + e.getClass().getSimpleName() + "）。",
                    "The running processes' reports cannot be read (database error: " + e.getClass().getSimpleName() + ").");
        }
        List<TransportReport> running = all.stream()
                .filter(r -> r.stopped() == null || !r.stopped().startsWith("shut down"))
                .filter(r -> !r.reportedAt().isBefore(now.minus(REPORT_FRESH))).toList();
        if (running.isEmpty()) {
            return Check.fix(Topic.TRANSPORT, "最近 " + REPORT_FRESH.toSeconds() + " 秒没有运行中的机器人进程报告：启动机器人（java -jar target/permission-bot.jar），并确认它用的是同一个数据库。",
                    "No running bot process has reported in the last " + REPORT_FRESH.toSeconds()
                            + " s: start the bot (java -jar target/permission-bot.jar) on the same database.");
        }
        return cfg.feishu().transport().websocket() ? longConnection(running) : webhook(running, all);
    }

    private static Check longConnection(List<TransportReport> running) {
        List<String> zh = new ArrayList<>();
        List<String> en = new ArrayList<>();
        boolean all = true;
        for (TransportReport r : running) {
            boolean up = Boolean.TRUE.equals(r.connected());
            all &= up;
            String since = r.since() == null ? "?" : HHMM.format(r.since());
            zh.add(r.owner() + (up ? " 自 " + since + " 起已连接" : " 自 " + since + " 起未连接" + (r.stopped() == null ? "" : "（已停止重连：" + r.stopped() + "）")));
            en.add(r.owner() + (up ? " connected since " + since : " not connected since " + since + (r.stopped() == null ? "" : " (gave up: " + r.stopped() + ")")));
        }
        String z = "长连接：" + String.join("；", zh) + "。";
        String e = "Long connection: " + String.join("; ", en) + ".";
        return all ? Check.ok(Topic.TRANSPORT, z, e)
                : Check.fix(Topic.TRANSPORT, z + "看日志里 long connection 的 ERROR 行；开发者后台的事件与回调订阅方式须为「使用长连接接收」。",
                e + " See the log's long connection ERROR lines; the console's event and callback subscription must be set to the long connection.");
    }

    private Check webhook(List<TransportReport> running, List<TransportReport> lastHour) {
        Instant last = running.stream().map(TransportReport::lastEvent).filter(t -> t != null).max(Instant::compareTo).orElse(null);
        Map<String, Integer> refused = new HashMap<>();
        lastHour.forEach(r -> r.refused().forEach((k, v) -> refused.merge(k, v, Integer::sum)));
        String counts = refused.isEmpty() ? "" : " " + new java.util.TreeMap<>(refused);
        int signatures = refused.getOrDefault("signature", 0);
        int tokens = refused.getOrDefault("token", 0);
        boolean signedLately = last != null && last.isAfter(clock.instant().minus(Duration.ofHours(1)));
        if (signatures >= MANY_REFUSALS && !signedLately) {
            return Check.fix(Topic.TRANSPORT, "最近一小时有 " + signatures + " 个请求签名不对，没有一个签名正确：FEISHU_ENCRYPT_KEY 多半与开发者后台「事件与回调 › 加密策略」里的 Encrypt Key 不一致。拒绝数：" + counts,
                    signatures + " requests in the last hour had a bad signature and none a good one: FEISHU_ENCRYPT_KEY probably differs from the Encrypt Key under the console's Events & Callbacks › Encryption. Refused:" + counts);
        }
        if (tokens >= MANY_REFUSALS) {
            return Check.fix(Topic.TRANSPORT, "最近一小时有 " + tokens + " 个请求的 Verification Token 不对：核对 FEISHU_VERIFICATION_TOKEN。拒绝数：" + counts,
                    tokens + " requests in the last hour carried a wrong verification token: check FEISHU_VERIFICATION_TOKEN. Refused:" + counts);
        }
        String refusedZh = refused.isEmpty() ? "" : "；最近一小时拒绝的请求：" + counts;
        String refusedEn = refused.isEmpty() ? "" : "; refused in the last hour:" + counts;
        if (last == null) {
            return Check.note(Topic.TRANSPORT, "Webhook：启动以来还没收到飞书的签名请求。在开发者后台把请求地址设为 https://<你的域名>/webhook/event，再给机器人发条消息" + refusedZh + "。",
                    "Webhook: no signed request from Feishu since start. Set the request URL to https://<your host>/webhook/event in the console, then message the bot" + refusedEn + ".");
        }
        return Check.ok(Topic.TRANSPORT, "Webhook：最近一次签名请求在 " + HHMM.format(last) + refusedZh + "。",
                "Webhook: the last signed request arrived at " + HHMM.format(last) + refusedEn + ".");
    }

    private List<Check> scopes(PlatformResult<List<ScopeGrant>> r, Set<String> toApply, Set<String> toDeclare) {
        if (!r.ok() || r.value() == null) {
            return List.of(r.code() == PlatformResult.NETWORK ? unanswered(Topic.SCOPES, r, "读取权限列表", "reading the scopes list")
                    : Check.fix(Topic.SCOPES, "读不到本应用的权限列表。", "The app's scopes list cannot be read.").answered(r.code(), r.logId()));
        }
        Map<String, Boolean> grants = new HashMap<>();
        r.value().forEach(g -> grants.put(g.name(), g.granted()));
        List<Check> out = new ArrayList<>();
        Map<String, List<String>> metZh = new java.util.LinkedHashMap<>();
        Map<String, List<String>> metEn = new java.util.LinkedHashMap<>();
        boolean versionConfigured = !cfg.feishu().appVersion().isBlank();
        for (OwnScopes need : OwnScopes.forConfig(versionConfigured, !cfg.approvalCodes().isEmpty())) {
            String granted = need.anyOf().stream().filter(s -> Boolean.TRUE.equals(grants.get(s))).findFirst().orElse(null);
            if (granted != null) {
                metZh.computeIfAbsent(granted, k -> new ArrayList<>()).add(need.zh());
                metEn.computeIfAbsent(granted, k -> new ArrayList<>()).add(need.en());
                continue;
            }
            List<String> declared = need.anyOf().stream().filter(grants::containsKey).toList();
            String zh;
            String en;
            if (!declared.isEmpty()) {
                if (need.needed()) toApply.addAll(declared);
                zh = "「" + need.zh() + "」缺权限：已声明但企业还没开通 " + String.join("、", declared) + (need.needed() ? "，点「申请开通」" : "");
                en = "To " + need.en() + ": declared but not granted: " + String.join(", ", declared) + (need.needed() ? "; press Apply" : "");
            } else {
                String first = need.anyOf().get(0);
                String others = String.join(", ", need.anyOf().subList(1, need.anyOf().size()));
                if (need.needed()) toDeclare.add(first);
                zh = "「" + need.zh() + "」缺权限：应用没有声明 " + first + "（或 " + others + " 之一）" + (need.needed() ? "，到开发者后台添加并发布新版本" : "");
                en = "To " + need.en() + ": the app does not declare " + first + " (or one of " + others + ")"
                        + (need.needed() ? "; add it in the console, then publish a version" : "");
            }
            out.add(need.needed() ? Check.fix(Topic.SCOPES, zh + "。", en + ".")
                    : Check.note(Topic.SCOPES, zh + "；只有订阅审批时才需要。", en + "; needed only to subscribe to approvals."));
        }
        if (!metZh.isEmpty()) {
            List<String> zh = new ArrayList<>();
            List<String> en = new ArrayList<>();
            metZh.forEach((scope, needs) -> zh.add(scope + "（" + String.join("、", needs) + "）"));
            metEn.forEach((scope, needs) -> en.add(scope + " (" + String.join("; ", needs) + ")"));
            out.add(0, Check.ok(Topic.SCOPES, "已开通 " + String.join("，", zh) + "。", "Granted: " + String.join(", ", en) + "."));
        }
        return out;
    }

    private Check version() {
        String configured = cfg.feishu().appVersion();
        PlatformResult<AppInfo> info = call(gateway::appInfo);
        if (!info.ok() || info.value() == null) {
            if (info.code() == PlatformResult.NETWORK) return unanswered(Topic.VERSION, info, "读取应用信息", "reading the app's info");
            String why = info.code() == 99991672 ? "（缺读取应用信息的权限，见上）" : "";
            String whyEn = info.code() == 99991672 ? " (the scope to read the app's info is missing, see above)" : "";
            return (configured.isBlank()
                    ? Check.fix(Topic.VERSION, "读不到在线版本" + why + "，额度无法按版本计算。", "The online version cannot be read" + whyEn + ", so the quota cannot be counted by version.")
                    : Check.note(Topic.VERSION, "读不到在线版本" + why + "；额度按 FEISHU_APP_VERSION=" + configured + " 计算。",
                    "The online version cannot be read" + whyEn + "; the quota counts against FEISHU_APP_VERSION=" + configured + "."))
                    .answered(info.code(), info.logId());
        }
        String id = info.value().onlineVersionId();
        if (id == null || id.isBlank()) {
            return Check.fix(Topic.VERSION, "应用还没有发布任何版本：在开发者后台「版本管理与发布」创建并发布一个版本，员工才能用到机器人。",
                    "No version of the app is published: create and publish one under the console's Version Management & Release, so employees can use the bot.");
        }
        PlatformResult<AppVersion> v = call(() -> gateway.appVersion(id));
        String number = v.ok() && v.value() != null ? v.value().version() : id;
        String note = configured.isBlank() || configured.equals(number) ? ""
                : "（额度按 FEISHU_APP_VERSION=" + configured + " 计算，与在线版本不同）";
        String noteEn = configured.isBlank() || configured.equals(number) ? ""
                : " (the quota counts against FEISHU_APP_VERSION=" + configured + ", not the online version)";
        return (note.isEmpty() ? Check.ok(Topic.VERSION, "在线版本 " + number + "。", "Version " + number + " is online.")
                : Check.note(Topic.VERSION, "在线版本 " + number + note + "。", "Version " + number + " is online" + noteEn + "."));
    }

    private List<Check> approvals() {
        if (cfg.approvalCodes().isEmpty()) {
            return List.of(Check.ok(Topic.APPROVALS, "bot-config.yaml 没有配置启动时订阅的审批（approval.subscribe）。",
                    "No approvals are subscribed at start-up in bot-config.yaml (approval.subscribe)."));
        }
        List<Check> out = new ArrayList<>();
        for (String code : cfg.approvalCodes()) {
            // subscribing again is harmless: 1390007 says it already is
            PlatformResult<Void> r = call(() -> gateway.subscribeApproval(code));
            if (r.ok() || r.code() == 1390007) {
                out.add(Check.ok(Topic.APPROVALS, "审批 " + code + " 已订阅。", "Approval " + code + " is subscribed."));
            } else if (r.code() == PlatformResult.NETWORK) {
                out.add(unanswered(Topic.APPROVALS, r, "订阅审批 " + code, "subscribing approval " + code));
            } else {
                String zh = switch (r.code()) {
                    case 1390001, 1390002 -> "审批 " + code + " 不存在或不属于本企业：核对 bot-config.yaml 的 approval.subscribe。";
                    case 99991672 -> "订阅审批 " + code + " 缺权限（见上）。";
                    default -> "订阅审批 " + code + " 失败：" + r.msg();
                };
                String en = switch (r.code()) {
                    case 1390001, 1390002 -> "Approval " + code + " does not exist in this tenant: check approval.subscribe in bot-config.yaml.";
                    case 99991672 -> "Subscribing approval " + code + " lacks a scope (see above).";
                    default -> "Subscribing approval " + code + " failed: " + r.msg();
                };
                out.add(Check.fix(Topic.APPROVALS, zh, en).answered(r.code(), r.logId()));
            }
        }
        return out;
    }

    private Check database() {
        Instant now = clock.instant();
        try {
            String probe = "doctor:" + owner;
            if (!store.tryLease(probe, owner, now, Duration.ofSeconds(5))) {
                return Check.fix(Topic.DATABASE, "数据库写入失败。", "The database did not take a write.");
            }
            store.releaseLease(probe, owner);
            Backlog b = store.backlog();
            String zh = "可写；处理中或排队的事件 " + b.inbox() + (b.oldestInbox() == null ? "" : "（最早 " + HHMM.format(b.oldestInbox()) + "）")
                    + "，待送达卡片 " + b.outbox() + (b.oldestOutbox() == null ? "" : "（最早 " + HHMM.format(b.oldestOutbox()) + "）") + "。";
            String en = "Writable; " + b.inbox() + (b.inbox() == 1 ? " event" : " events") + " being handled or waiting" + (b.oldestInbox() == null ? "" : " (oldest " + HHMM.format(b.oldestInbox()) + ")")
                    + ", " + b.outbox() + (b.outbox() == 1 ? " card" : " cards") + " not delivered yet" + (b.oldestOutbox() == null ? "" : " (oldest " + HHMM.format(b.oldestOutbox()) + ")") + ".";
            if (b.oldestInbox() != null && b.oldestInbox().isBefore(now.minus(INBOX_STUCK))) {
                return Check.fix(Topic.DATABASE, zh + "有事件超过 " + INBOX_STUCK.toMinutes() + " 分钟没处理：机器人进程是否在运行？看日志里的 ERROR 行。",
                        en + " Events have waited over " + INBOX_STUCK.toMinutes() + " minutes: is a bot process running? See the log's ERROR lines.");
            }
            if (b.oldestOutbox() != null && b.oldestOutbox().isBefore(now.minus(OUTBOX_STUCK))) {
                return Check.fix(Topic.DATABASE, zh + "有卡片超过 " + OUTBOX_STUCK.toMinutes() + " 分钟没送达：飞书在拒绝它们，看日志里 outbox 的 WARN 行。",
                        en + " Cards have waited over " + OUTBOX_STUCK.toMinutes() + " minutes: Feishu keeps refusing them; see the log's outbox WARN lines.");
            }
            return Check.ok(Topic.DATABASE, zh, en);
        } catch (RuntimeException e) {
            return Check.fix(Topic.DATABASE, "数据库出错：" + e.getClass().getSimpleName() + "。核对 DATABASE_URL。",
                    "Database error: " + e.getClass().getSimpleName() + ". Check DATABASE_URL.");
        }
    }

    /** The platform's Date header against this machine's clock; leases between replicas assume they agree. */
    private Check clock(PlatformResult<Instant> token, Instant local) {
        if (!token.ok() || token.value() == null) {
            return new Check(Topic.CLOCK, Verdict.SKIPPED, "飞书没有返回时间，无法比较。", "Feishu sent no time to compare with.", "", "");
        }
        long off = Duration.between(token.value(), local).toSeconds();
        String zh = off == 0 ? "本机时钟与飞书一致（精确到秒）" : "本机时钟比飞书" + (off > 0 ? "快 " : "慢 ") + Math.abs(off) + " 秒";
        String en = off == 0 ? "This machine's clock agrees with Feishu's (to the second)"
                : "This machine's clock is " + Math.abs(off) + " s " + (off > 0 ? "ahead of" : "behind") + " Feishu's";
        if (Math.abs(off) <= 5) return Check.ok(Topic.CLOCK, zh + "。", en + ".");
        if (Math.abs(off) <= 30) return Check.note(Topic.CLOCK, zh + "：建议开启 NTP 校时。", en + ": consider NTP.");
        return Check.fix(Topic.CLOCK, zh + "：开启 NTP 校时；多副本之间的租约按秒计，时钟必须一致。",
                en + ": turn on NTP; replicas' leases are measured in seconds, so clocks must agree.");
    }

    private Check unanswered(Topic t, PlatformResult<?> r, String zh, String en) {
        String base = cfg.feishu().baseUrl();
        if (r.code() == PlatformResult.NETWORK) {
            return Check.fix(t, zh + "时 " + base + " 没有应答（" + r.msg() + "）：检查网络、代理和 FEISHU_BASE_URL。",
                    "No answer from " + base + " when " + en + " (" + r.msg() + "): check the network, proxies and FEISHU_BASE_URL.");
        }
        return Check.fix(t, zh + "失败：" + r.msg(), en + " failed: " + r.msg()).answered(r.code(), r.logId());
    }

    private static Check skipped(Topic t) {
        return new Check(t, Verdict.SKIPPED, "未检查：先修好凭证。", "Not checked: fix the credentials first.", "", "");
    }

    /** One platform call; anything it throws is an unanswered call. */
    private static <T> PlatformResult<T> call(java.util.function.Supplier<PlatformResult<T>> c) {
        try {
            PlatformResult<T> r = c.get();
            return r == null ? PlatformResult.network("no result") : r;
        } catch (RuntimeException e) {
            return PlatformResult.network(e.getClass().getSimpleName());
        }
    }
}
