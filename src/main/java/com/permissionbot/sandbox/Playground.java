package com.permissionbot.sandbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The playground page and its JSON API under {@code /playground/api/}: a chat with the bot (1:1 and a group) whose
 * messages and clicks (form submits too) go through the bot's real transport (its webhook, or its long connection),
 * each labelled with the one that delivered it; the admins' chat the bot posts request cards to; and an admin pane
 * over the emulated tenant, with the long connection's fault switches. Registered on the bot's HTTP server by
 * {@link SandboxPlatform} only, so it never exists in real mode.
 */
public final class Playground {
    private static final Logger log = LoggerFactory.getLogger(Playground.class);

    public static final String PAGE = "/playground";
    public static final String API = "/playground/api";
    public static final String GROUP_CHAT_ID = "oc_playground_group";
    public static final String GROUP_NAME = "Product team";
    /** The admins' group the sandbox seeds: the bot's ops chat unless {@code follow.ops_chat_id} names another. */
    public static final String ADMINS_CHAT_ID = "oc_playground_admins";
    public static final String ADMINS_NAME = "Admins";
    public static final List<PlatformEvents.Person> USERS = List.of(
            PlatformEvents.Person.of("ou_alice", "Alice"), PlatformEvents.Person.of("ou_bob", "Bob"));

    static final int MAX_TEXT_CHARS = 4000;
    /** Approval instances the admin pane lists at most (the newest). */
    static final int INSTANCES_SHOWN = 30;
    private static final Pattern MENTION = Pattern.compile("@_user_\\d+");
    private static final Pattern APPROVAL_CODE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)");
    private static final Map<String, String> FAULT_TARGETS = Map.of(
            "apply", ApplicationApi.SCOPES_APPLY,
            "scopes", ApplicationApi.SCOPES,
            "im", "/open-apis/im/",
            "all", "/open-apis/");

    /** A request the API refuses with HTTP 400 and a reason. */
    private static final class BadRequest extends RuntimeException {
        BadRequest(String msg) {
            super(msg, null, false, false);
        }
    }

    /** Messages sent through the playground remembered with the transport that delivered them (for the label). */
    static final int LABELS_KEPT = 2000;

    private final PlatformEmulator platform;
    private final Deliverer deliverer;
    private final PlatformEvents.Person bot;
    /** The bot's ops chat, shown as the admins' chat; empty when it has none. */
    private final String adminsChatId;
    private final byte[] page;
    private final Map<String, String> deliveredBy = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > LABELS_KEPT;
        }
    });

    /** {@code adminsChatId}: the bot's ops chat ({@code follow.ops_chat_id}), empty for none. */
    public Playground(PlatformEmulator platform, Deliverer deliverer, String adminsChatId) {
        this.platform = platform;
        this.deliverer = deliverer;
        this.adminsChatId = adminsChatId;
        EmulatorConfig c = platform.config();
        this.bot = PlatformEvents.Person.of(c.botOpenId(), c.botName());
        this.page = resource("playground/index.html");
    }

    /** Adds the page and the API to the bot's server (Javalin accepts routes after it started). */
    public void register(Javalin app) {
        app.get(PAGE, ctx -> ctx.contentType("text/html; charset=utf-8").header("Cache-Control", "no-store")
                .header("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; "
                        + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'")
                .result(page));
        app.get(API + "/state", api(this::state));
        app.get(API + "/messages", api(this::messages));
        app.post(API + "/send", api(this::send));
        app.post(API + "/click", api(this::click));
        app.post(API + "/group/add-bot", api(this::addBot));
        app.post(API + "/scopes/grant", api(ctx -> scope(ctx, true)));
        app.post(API + "/scopes/revoke", api(ctx -> scope(ctx, false)));
        app.post(API + "/application/grant", api(ctx -> application(true)));
        app.post(API + "/application/reject", api(ctx -> application(false)));
        app.post(API + "/versions/publish", api(this::publish));
        app.post(API + "/quota", api(this::setQuota));
        app.post(API + "/approvals", api(this::addApproval));
        app.post(API + "/approvals/delete", api(this::deleteApproval));
        app.get(API + "/approvals/instances", api(ctx -> {
            ObjectNode out = Envelope.object();
            instancesJson(out.putArray("instances"));
            return out;
        }));
        app.post(API + "/approvals/instances", api(this::createInstance));
        app.post(API + "/approvals/instances/status", api(this::changeInstance));
        app.post(API + "/faults", api(this::faults));
    }

    /** The 1:1 chat of a user with the bot. */
    public static String p2pChat(String userOpenId) {
        return MessageStore.p2pChatId(userOpenId);
    }

    private interface JsonHandler {
        JsonNode handle(Context ctx) throws Exception;
    }

    private static Handler api(JsonHandler h) {
        return ctx -> {
            ctx.header("Cache-Control", "no-store");
            String type = ctx.contentType();
            if (ctx.method() == HandlerType.POST && (type == null || !type.startsWith("application/json"))) {
                // a cross-site form cannot send application/json without a CORS preflight, which is never allowed here
                write(ctx, 415, Envelope.object().put("error", "send JSON (Content-Type: application/json)"));
                return;
            }
            try {
                write(ctx, 200, h.handle(ctx));
            } catch (BadRequest e) {
                write(ctx, 400, Envelope.object().put("error", e.getMessage()));
            } catch (RuntimeException e) {
                log.warn("playground API {} failed: {}", ctx.path(), e.toString());
                write(ctx, 500, Envelope.object().put("error", e.getClass().getSimpleName()));
            }
        };
    }

    /** Everything the admin pane shows. */
    private JsonNode state(Context ctx) {
        TenantState t = platform.tenant();
        ObjectNode out = Envelope.object();
        ObjectNode b = out.putObject("bot").put("openId", bot.openId()).put("name", bot.name());
        b.put("appId", platform.config().appId());
        ArrayNode users = out.putArray("users");
        for (PlatformEvents.Person u : USERS) {
            users.addObject().put("openId", u.openId()).put("name", u.name()).put("p2pChat", p2pChat(u.openId()));
        }
        out.putObject("group").put("chatId", GROUP_CHAT_ID).put("name", GROUP_NAME).put("botAdded", t.botInChat(GROUP_CHAT_ID));
        if (!adminsChatId.isEmpty()) out.putObject("admins").put("chatId", adminsChatId).put("name", ADMINS_NAME);

        Set<String> pending = t.pendingScopes();
        ArrayNode scopes = out.putArray("scopes");
        for (TenantState.ScopeGrant s : t.scopes()) {
            scopes.addObject().put("name", s.name()).put("granted", s.granted())
                    .put("highSensitivity", s.highSensitivity()).put("pending", pending.contains(s.name()));
        }
        ObjectNode app = out.putObject("application").put("pending", t.hasPendingApplication());
        ArrayNode ps = app.putArray("scopes");
        t.scopes().stream().map(TenantState.ScopeGrant::name).filter(pending::contains).forEach(ps::add);

        TenantState.AppVersion online = t.onlineVersion();
        out.putObject("quota").put("version", online.version()).put("versionId", online.versionId())
                .put("used", t.appliesUsed()).put("limit", TenantState.APPLIES_PER_VERSION);
        ArrayNode versions = out.putArray("versions");
        for (TenantState.AppVersion v : t.versions()) {
            versions.addObject().put("version", v.version()).put("versionId", v.versionId())
                    .put("used", t.appliesUsed(v.versionId())).put("online", v.versionId().equals(online.versionId()));
        }
        List<ApprovalInstances.Instance> instances = t.approvalInstances().instances();
        ArrayNode approvals = out.putArray("approvals");
        for (String code : t.approvalDefinitions()) {
            approvals.addObject().put("code", code).put("subscribed", t.isSubscribed(code))
                    .put("instances", instances.stream().filter(i -> code.equals(i.approvalCode())).count());
        }
        instancesJson(out.putArray("approvalInstances"));

        ObjectNode faults = out.putObject("faults").put("duplicates", deliverer.duplicates());
        ArrayNode failures = faults.putArray("failures");
        for (Faults.FailureView f : platform.faults().failures()) {
            failures.addObject().put("prefix", f.prefix()).put("status", f.status()).put("code", f.code())
                    .put("remaining", f.remaining()).put("resetSeconds", f.resetSeconds());
        }
        ObjectNode delays = faults.putObject("delays");
        platform.faults().delays().forEach((k, v) -> delays.put(k, v.toMillis()));

        ArrayNode deliveries = out.putArray("deliveries");
        for (Deliverer.Pushed d : deliverer.recent().stream().limit(20).toList()) {
            ObjectNode o = deliveries.addObject().put("eventId", d.eventId()).put("type", d.type())
                    .put("kind", d.kind()).put("messageId", d.messageId()).put("transport", d.transport())
                    .put("done", d.done().isDone()).put("delivered", d.done().getNow(false));
            ArrayNode attempts = o.putArray("attempts");
            for (Deliverer.Try a : d.attempts()) {
                attempts.addObject().put("number", a.number()).put("status", a.status())
                        .put("error", a.error()).put("ms", a.ms()).put("after", a.after().toString()).put("connection", a.connection());
            }
        }
        out.set("transport", transport());
        return out;
    }

    /** The messages of one chat with their current content; {@code after}: answers quickly when nothing changed. */
    private JsonNode messages(Context ctx) {
        String chat = required(ctx.queryParam("chat"), "chat");
        long after = parseLong(ctx.queryParam("after"), -1);
        MessageStore im = platform.im();
        long rev = im.revision();
        ObjectNode out = Envelope.object().put("rev", rev);
        if (rev == after) {
            return out.put("unchanged", true);
        }
        ArrayNode list = out.putArray("messages");
        for (ImMessage m : im.inChat(chat)) {
            ObjectNode o = list.addObject().put("id", m.messageId()).put("from", m.sentByApp() ? "bot" : "user")
                    .put("sender", m.sentByApp() ? bot.name() : nameOf(m.senderId()))
                    .put("time", m.createTime().toEpochMilli()).put("updated", m.updated())
                    .put("msgType", m.msgType());
            if (m.parentId() != null) o.put("parentId", m.parentId());
            String via = deliveredBy.get(m.messageId());
            if (via != null) o.put("transport", via);
            JsonNode content = parse(m.content());
            if ("interactive".equals(m.msgType()) && content != null) {
                o.set("card", content);
            } else if ("text".equals(m.msgType()) && content != null) {
                o.put("text", MENTION.matcher(content.path("text").asText("")).replaceAll(
                        Matcher.quoteReplacement("@" + bot.name())));
            } else {
                o.put("text", "[" + m.msgType() + "]");
            }
        }
        return out;
    }

    /** A user writes in a chat; the message goes to the bot through its real transport (webhook or long connection). */
    private JsonNode send(Context ctx) {
        JsonNode body = body(ctx);
        PlatformEvents.Person user = user(body.path("user").asText(""));
        String text = body.path("text").asText("").strip();
        if (text.isEmpty()) throw new BadRequest("text is empty");
        if (text.length() > MAX_TEXT_CHARS) throw new BadRequest("text is longer than " + MAX_TEXT_CHARS + " characters");
        boolean group = "group".equals(body.path("type").asText("p2p"));
        Deliverer.Said said = group
                ? body.path("mention").asBoolean(true)
                        ? deliverer.say(GROUP_CHAT_ID, "group", user, text, bot)
                        : deliverer.say(GROUP_CHAT_ID, "group", user, text)
                : deliverer.say(p2pChat(user.openId()), "p2p", user, text);
        deliveredBy.put(said.message().messageId(), deliverer.transport());
        Deliverer.Try first = said.delivery().awaitFirst();
        ObjectNode out = Envelope.object().put("messageId", said.message().messageId())
                .put("chatId", said.message().chatId()).put("eventId", said.delivery().eventId())
                .put("transport", deliverer.transport());
        out.set("delivery", attempt(first));
        return out;
    }

    /**
     * A click on a card button: a card.action.trigger to the bot (signed webhook, or over its long connection), answered
     * within 3 s; a form's submit button brings {@code formValue}, the form's inputs by name.
     */
    private JsonNode click(Context ctx) {
        JsonNode body = body(ctx);
        PlatformEvents.Person user = user(body.path("user").asText(""));
        String messageId = required(body.path("messageId").asText(null), "messageId");
        JsonNode value = body.path("value");
        if (!value.isObject()) throw new BadRequest("value must be the button's behaviors[0].value object");
        JsonNode form = body.path("formValue");
        if (!form.isMissingNode() && !(form.isObject() && texts(form))) {
            throw new BadRequest("formValue must be an object of input names to texts of at most " + MAX_TEXT_CHARS + " characters");
        }
        EventPusher.CallbackResult r = deliverer.click(messageId, user, value, body.path("name").asText(""),
                form.isMissingNode() ? null : form);
        ObjectNode out = Envelope.object().put("ok", r.ok()).put("status", r.status()).put("ms", r.millis())
                .put("clientCode", r.clientCode()).put("cardApplied", r.cardApplied()).put("transport", deliverer.transport());
        if (r.clientError() != null) out.put("clientError", r.clientError());
        if (!r.toast().isMissingNode()) out.set("toast", r.toast());
        if (r.ok() && r.card().isObject()) out.set("card", r.card());
        return out;
    }

    /** Adds the bot to the group: one bot-added event (the welcome card), and none once the bot is a member. */
    private JsonNode addBot(Context ctx) {
        PlatformEvents.Person user = user(body(ctx).path("user").asText(""));
        if (!platform.tenant().addBotToChat(GROUP_CHAT_ID)) {
            throw new BadRequest("the bot is already a member of " + GROUP_NAME + "; Feishu sends no event for that");
        }
        Deliverer.Pushed d = deliverer.botAdded(GROUP_CHAT_ID, GROUP_NAME, user);
        ObjectNode out = Envelope.object().put("eventId", d.eventId()).put("transport", deliverer.transport());
        out.set("delivery", attempt(d.awaitFirst()));
        return out;
    }

    private JsonNode scope(Context ctx, boolean grant) {
        String name = required(body(ctx).path("scope").asText(null), "scope");
        TenantState t = platform.tenant();
        if (t.scopes().stream().noneMatch(s -> s.name().equals(name))) throw new BadRequest("no such scope: " + name);
        if (grant) t.grant(name);
        else t.revoke(name);
        return ok();
    }

    private JsonNode application(boolean grant) {
        TenantState t = platform.tenant();
        if (!t.hasPendingApplication()) throw new BadRequest("no application is waiting for the admin");
        if (grant) t.grantPending();
        else t.rejectPending();
        return ok();
    }

    private JsonNode publish(Context ctx) {
        TenantState t = platform.tenant();
        String version = body(ctx).path("version").asText("").strip();
        if (version.isEmpty()) version = next(t.onlineVersion().version());
        if (version.length() > 32 || !version.matches("[0-9A-Za-z._-]+")) throw new BadRequest("bad version: " + version);
        String id = t.publishVersion(version);
        return ok().put("version", version).put("versionId", id);
    }

    private JsonNode setQuota(Context ctx) {
        int used = body(ctx).path("used").asInt(-1);
        if (used < 0 || used > TenantState.APPLIES_PER_VERSION) {
            throw new BadRequest("used must be 0.." + TenantState.APPLIES_PER_VERSION);
        }
        platform.tenant().setAppliesUsed(used);
        return ok();
    }

    private JsonNode addApproval(Context ctx) {
        String code = body(ctx).path("code").asText("").strip();
        if (!APPROVAL_CODE.matcher(code).matches()) throw new BadRequest("an approval code is 1-64 letters, digits, - or _");
        platform.tenant().addApprovalDefinition(code);
        return ok();
    }

    /** The admin deletes a definition: its unfinished instances become DELETED, reported if the app subscribed. */
    private JsonNode deleteApproval(Context ctx) {
        String code = approvalCode(body(ctx).path("code").asText(""));
        List<ApprovalInstances.Change> deleted;
        try {
            deleted = platform.tenant().approvalInstances().deleteDefinition(code);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        ObjectNode out = ok();
        ArrayNode list = out.putArray("deleted");
        deleted.forEach(c -> list.add(change(c)));
        return out;
    }

    /** Someone submits an instance of a definition: it starts PENDING (an event if the app subscribed). */
    private JsonNode createInstance(Context ctx) {
        String code = approvalCode(body(ctx).path("code").asText(""));
        ApprovalInstances instances = platform.tenant().approvalInstances();
        ApprovalInstances.Change c;
        try {
            c = instances.create(code);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        return ok().put("pushed", c.delivered()).set("instance", instance(instances, instances.instance(c.instanceCode())));
    }

    /** The instance moves to one of the statuses allowed from where it is (an event if the app subscribed). */
    private JsonNode changeInstance(Context ctx) {
        JsonNode body = body(ctx);
        String instanceCode = required(body.path("instanceCode").asText(null), "instanceCode").strip();
        String status = required(body.path("status").asText(null), "status").strip();
        if (!ApprovalInstances.STATUSES.contains(status)) {
            throw new BadRequest("status must be one of " + ApprovalInstances.STATUSES);
        }
        ApprovalInstances instances = platform.tenant().approvalInstances();
        ApprovalInstances.Change c;
        try {
            c = instances.change(instanceCode, status);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(e.getMessage());
        }
        return ok().put("pushed", c.delivered()).set("instance", instance(instances, instances.instance(c.instanceCode())));
    }

    /** Every instance, newest first (at most {@link #INSTANCES_SHOWN}). */
    private ArrayNode instancesJson(ArrayNode into) {
        ApprovalInstances instances = platform.tenant().approvalInstances();
        List<ApprovalInstances.Instance> all = instances.instances();
        for (int i = all.size() - 1; i >= Math.max(0, all.size() - INSTANCES_SHOWN); i--) {
            into.add(instance(instances, all.get(i)));
        }
        return into;
    }

    private static ObjectNode instance(ApprovalInstances instances, ApprovalInstances.Instance i) {
        ObjectNode o = Envelope.object().put("instanceCode", i.instanceCode()).put("approvalCode", i.approvalCode())
                .put("status", i.status());
        ArrayNode next = o.putArray("next");
        Set<String> allowed = instances.next(i.instanceCode());
        ApprovalInstances.STATUSES.stream().filter(allowed::contains).forEach(next::add);
        ArrayNode history = o.putArray("history");
        i.history().forEach(c -> history.add(change(c)));
        return o;
    }

    private static ObjectNode change(ApprovalInstances.Change c) {
        return Envelope.object().put("instanceCode", c.instanceCode()).put("status", c.status())
                .put("at", c.at().toEpochMilli()).put("pushed", c.delivered());
    }

    private static String approvalCode(String raw) {
        String code = raw == null ? "" : raw.strip();
        if (!APPROVAL_CODE.matcher(code).matches()) throw new BadRequest("an approval code is 1-64 letters, digits, - or _");
        return code;
    }

    /** {@code {action: 5xx|429|latency|duplicates|clear, target, times, resetSeconds, ms, on}}. */
    private JsonNode faults(Context ctx) {
        JsonNode body = body(ctx);
        Faults f = platform.faults();
        String action = body.path("action").asText("");
        int times = body.path("times").asInt(1);
        if (times < 0 || times > 1000) throw new BadRequest("times must be 0..1000");
        switch (action) {
            case "5xx" -> f.serverError(target(body), times);
            case "429" -> {
                int reset = body.path("resetSeconds").asInt(30);
                if (reset < 0 || reset > 3600) throw new BadRequest("resetSeconds must be 0..3600");
                f.rateLimit(target(body), times, reset);
            }
            case "latency" -> {
                long ms = body.path("ms").asLong(0);
                if (ms < 0 || ms > 30_000) throw new BadRequest("ms must be 0..30000");
                f.delay(ApplicationApi.SCOPES_APPLY, Duration.ofMillis(ms));
            }
            case "duplicates" -> deliverer.setDuplicates(body.path("on").asBoolean(false));
            case "clear" -> {
                f.clear();
                deliverer.setDuplicates(false);
                if (websocket()) {
                    LongConnectionGateway g = platform.longConnection();
                    g.connections().forEach(c -> g.stall(c.id(), false));
                    g.clearRefusals();
                }
            }
            case "ws-close", "ws-drop", "ws-stall", "ws-refuse" -> longConnectionFault(action, body, times);
            default -> throw new BadRequest("action must be one of 5xx, 429, latency, duplicates, clear, ws-close, ws-drop, ws-stall, ws-refuse");
        }
        return ok();
    }

    /**
     * The gateway's switches on the bot's connection: close it with a close frame, drop it (no close frame), stall it
     * (nothing arrives either way, no pong) or on/off, refuse the next {@code times} handshakes (403, the connection
     * limit, or 514 busy).
     */
    private void longConnectionFault(String action, JsonNode body, int times) {
        if (!websocket()) throw new BadRequest("the bot uses webhooks; start it with FEISHU_TRANSPORT=websocket for the long connection");
        LongConnectionGateway g = platform.longConnection();
        if (action.equals("ws-refuse")) {
            LongConnectionGateway.Refusal r = switch (body.path("refusal").asText("403")) {
                case "403" -> LongConnectionGateway.Refusal.forbidden();
                case "limit" -> LongConnectionGateway.Refusal.connectionLimit();
                case "busy" -> LongConnectionGateway.Refusal.busy();
                default -> throw new BadRequest("refusal must be one of 403, limit, busy");
            };
            g.refuseHandshakes(Math.max(1, times), r);
            return;
        }
        List<LongConnection> open = g.connections();
        if (open.isEmpty()) throw new BadRequest("the bot holds no connection right now");
        for (LongConnection c : open) {
            switch (action) {
                case "ws-close" -> g.closeNormally(c.id());
                case "ws-drop" -> g.drop(c.id());
                default -> g.stall(c.id(), body.path("on").asBoolean(true));
            }
        }
    }

    private boolean websocket() {
        return "websocket".equals(deliverer.transport());
    }

    /** The transport; for the long connection, its connections (open and recently closed) and queued refusals. */
    private ObjectNode transport() {
        ObjectNode t = Envelope.object().put("name", deliverer.transport());
        if (!websocket()) return t;
        LongConnectionGateway g = platform.longConnection();
        ClientConfig cc = g.clientConfig();
        t.put("pingSeconds", cc.pingInterval()).put("refusalsLeft", g.refusalsLeft());
        ArrayNode open = t.putArray("connections");
        for (LongConnection c : g.connections()) {
            open.addObject().put("id", c.id()).put("openedAt", c.openedAt() == null ? 0 : c.openedAt().toEpochMilli())
                    .put("pings", c.pings()).put("pushed", c.pushed()).put("acks", c.acks()).put("stalled", c.stalled());
        }
        ArrayNode closed = t.putArray("closed");
        for (LongConnection c : g.closedConnections().stream().limit(5).toList()) {
            closed.addObject().put("id", c.id()).put("closedAt", c.closedAt() == null ? 0 : c.closedAt().toEpochMilli())
                    .put("cause", c.closeCause());
        }
        ArrayNode refused = t.putArray("refused");
        for (LongConnectionGateway.Handshake h : g.handshakes().stream().filter(h -> !h.accepted()).limit(5).toList()) {
            refused.addObject().put("at", h.at().toEpochMilli()).put("status", h.refusal().status()).put("msg", h.refusal().msg());
        }
        return t;
    }

    private static String target(JsonNode body) {
        String t = body.path("target").asText("apply");
        String prefix = FAULT_TARGETS.get(t);
        if (prefix == null) throw new BadRequest("target must be one of " + FAULT_TARGETS.keySet());
        return prefix;
    }

    private static ObjectNode attempt(Deliverer.Try a) {
        ObjectNode o = Envelope.object().put("status", a.status()).put("ms", a.ms());
        if (a.error() != null) o.put("error", a.error());
        return o;
    }

    private static String next(String version) {
        Matcher m = VERSION.matcher(version);
        if (m.matches()) {
            return m.group(1) + "." + m.group(2) + "." + (Integer.parseInt(m.group(3)) + 1);
        }
        return version + ".1";
    }

    /** Every field a text of at most {@link #MAX_TEXT_CHARS} characters. */
    private static boolean texts(JsonNode o) {
        for (JsonNode v : o) if (!v.isTextual() || v.asText().length() > MAX_TEXT_CHARS) return false;
        return true;
    }

    private static PlatformEvents.Person user(String openId) {
        if (openId.isEmpty()) return USERS.get(0);
        return USERS.stream().filter(u -> u.openId().equals(openId)).findFirst()
                .orElseThrow(() -> new BadRequest("unknown user " + openId));
    }

    private static String nameOf(String openId) {
        return USERS.stream().filter(u -> u.openId().equals(openId)).map(PlatformEvents.Person::name).findFirst()
                .orElse(openId == null ? "?" : openId);
    }

    private static ObjectNode ok() {
        return Envelope.object().put("ok", true);
    }

    private static JsonNode body(Context ctx) {
        String raw = ctx.body();
        if (raw.isBlank()) return Envelope.object();
        JsonNode n = parse(raw);
        if (n == null || !n.isObject()) throw new BadRequest("the body must be a JSON object");
        return n;
    }

    private static String required(String v, String name) {
        if (v == null || v.isBlank()) throw new BadRequest(name + " is required");
        return v;
    }

    private static long parseLong(String s, long otherwise) {
        try {
            return s == null ? otherwise : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static JsonNode parse(String s) {
        try {
            return s == null ? null : Envelope.JSON.readTree(s);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    private static void write(Context ctx, int status, JsonNode body) {
        ctx.status(status).contentType("application/json; charset=utf-8").result(body.toString());
    }

    private static byte[] resource(String name) {
        try (InputStream in = Optional.ofNullable(Playground.class.getClassLoader().getResourceAsStream(name))
                .orElseThrow(() -> new IllegalStateException("missing resource " + name))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + name, e);
        }
    }
}
