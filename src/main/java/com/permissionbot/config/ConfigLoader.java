package com.permissionbot.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code bot-config.yaml} (or {@code BOT_CONFIG}), substitutes {@code ${ENV}} and {@code ${ENV:default}} in
 * scalar values, applies the environment variables (README, Configuration), and validates every key.
 */
public final class ConfigLoader {
    private static final Pattern VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?}");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The environment variables (README, Configuration) and the config key each one sets. */
    private static final Map<String, String> ENV_KEYS = Map.of(
            "PORT", "server.port",
            "FEISHU_APP_ID", "feishu.app_id",
            "FEISHU_APP_SECRET", "feishu.app_secret",
            "FEISHU_VERIFICATION_TOKEN", "feishu.verification_token",
            "FEISHU_ENCRYPT_KEY", "feishu.encrypt_key",
            "FEISHU_BASE_URL", "feishu.base_url",
            "FEISHU_APP_VERSION", "feishu.app_version",
            "FEISHU_TRANSPORT", "feishu.transport",
            "DATABASE_URL", "database.url");

    private final Map<String, String> env;

    public ConfigLoader(Map<String, String> env) {
        this.env = env;
    }

    /** What stands for the copy of bot-config.yaml packaged in the jar in an error message. */
    public static final String PACKAGED = "the packaged default bot-config.yaml (there is no BOT_CONFIG and no ./bot-config.yaml)";

    /**
     * Loads from {@code BOT_CONFIG}, else {@code ./bot-config.yaml}, else the defaults packaged in the jar; an error
     * names the file it was read from ({@link ConfigException#file()}).
     */
    public BotConfig load() {
        String named = env.get("BOT_CONFIG");
        if (named != null && !named.isBlank()) {
            Path p = Path.of(named);
            if (!Files.isRegularFile(p)) throw new ConfigException("BOT_CONFIG", "file not found: " + p.toAbsolutePath());
            return parseFrom(read(p), p.toAbsolutePath() + " (BOT_CONFIG)");
        }
        Path local = Path.of("bot-config.yaml");
        if (Files.isRegularFile(local)) return parseFrom(read(local), local.toAbsolutePath().toString());
        String text;
        try (InputStream in = ConfigLoader.class.getResourceAsStream("/bot-config.yaml")) {
            if (in == null) throw new ConfigException("BOT_CONFIG", "no bot-config.yaml found and no packaged default");
            text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("BOT_CONFIG", "cannot read packaged default: " + e.getMessage());
        }
        return parseFrom(text, PACKAGED);
    }

    private BotConfig parseFrom(String yaml, String file) {
        try {
            return parse(yaml);
        } catch (ConfigException e) {
            throw e.in(file);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new ConfigException("BOT_CONFIG", "cannot read " + p.toAbsolutePath() + ": " + e.getMessage());
        }
    }

    /** Parses YAML text into a validated config. */
    public BotConfig parse(String yaml) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (IOException e) {
            throw new ConfigException("", "not valid YAML" + where(e) + " (" + firstLine(e instanceof JsonProcessingException j
                    ? j.getOriginalMessage() : e.getMessage()) + ")");
        }
        if (root == null || root.isMissingNode() || root.isNull()) root = JsonNodeFactory.instance.objectNode();
        if (!root.isObject()) throw new ConfigException("", "must be a mapping of keys");
        ObjectNode tree = (ObjectNode) substitute(root, "");
        ENV_KEYS.forEach((var, key) -> {
            String v = env.get(var);
            if (v != null) put(tree, key, v);
        });
        return new Reader(tree).config();
    }

    private JsonNode substitute(JsonNode node, String path) {
        if (node.isTextual()) return TextNode.valueOf(expand(node.asText(), path));
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            node.fields().forEachRemaining(e -> out.set(e.getKey(), substitute(e.getValue(), join(path, e.getKey()))));
            return out;
        }
        if (node.isArray()) {
            var out = JsonNodeFactory.instance.arrayNode();
            for (int i = 0; i < node.size(); i++) out.add(substitute(node.get(i), path + "[" + i + "]"));
            return out;
        }
        return node;
    }

    private String expand(String value, String path) {
        Matcher m = VAR.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = env.get(m.group(1));
            if (v == null) v = m.group(2);
            if (v == null) throw new ConfigException(path, "environment variable " + m.group(1) + " is not set and has no default");
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static void put(ObjectNode tree, String dotted, String value) {
        String[] parts = dotted.split("\\.");
        ObjectNode cur = tree;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = cur.get(parts[i]);
            if (!(next instanceof ObjectNode)) {
                next = JsonNodeFactory.instance.objectNode();
                cur.set(parts[i], next);
            }
            cur = (ObjectNode) next;
        }
        cur.put(parts[parts.length - 1], value);
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : a + "." + b;
    }

    /** " at line L, column C" where the parser knows it. */
    private static String where(IOException e) {
        if (e instanceof JsonProcessingException j && j.getLocation() != null && j.getLocation().getLineNr() > 0) {
            return " at line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr();
        }
        return "";
    }

    private static String firstLine(String s) {
        if (s == null) return "unreadable";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Walks the tree once, reading each known key and rejecting the rest. */
    private static final class Reader {
        private final ObjectNode root;
        private final Set<String> known = new LinkedHashSet<>();

        Reader(ObjectNode root) {
            this.root = root;
        }

        BotConfig config() {
            int port = integer("server.port", 8080, 0, 65535);
            long maxBody = integer("server.max_body_bytes", 1 << 20, 1024, 64 << 20);
            String host = text("server.host", "");
            if (!host.isEmpty() && !host.matches("[A-Za-z0-9.:\\-]{1,253}|\\[[0-9A-Fa-f:.]{2,45}]")) {
                throw new ConfigException("server.host", "must be an address or host name such as 127.0.0.1 or 0.0.0.0, got '" + host + "'");
            }

            String appId = text("feishu.app_id", "");
            String secret = text("feishu.app_secret", "");
            String token = text("feishu.verification_token", "");
            String encryptKey = text("feishu.encrypt_key", "");
            String baseUrl = text("feishu.base_url", "https://open.feishu.cn");
            boolean allowUnencrypted = bool("feishu.allow_unencrypted", false);
            if (!baseUrl.matches("https?://[^\\s/]+.*")) throw new ConfigException("feishu.base_url", "must be an http(s) URL, got '" + baseUrl + "'");
            Transport transport = transport();
            if (appId.isEmpty()) refuseCredentialsWithoutAppId(secret, token, encryptKey);
            if (!appId.isEmpty()) {
                if (!appId.matches("cli_[A-Za-z0-9]+")) throw new ConfigException("feishu.app_id", "must look like cli_xxxxxxxx (FEISHU_APP_ID)");
                if (secret.isEmpty()) throw new ConfigException("feishu.app_secret", "is required when feishu.app_id is set (FEISHU_APP_SECRET)");
                // over the long connection the app id and secret authenticate; the token matters only to webhooks, which need the key
                if (token.isEmpty() && (!transport.websocket() || !encryptKey.isEmpty())) {
                    throw new ConfigException("feishu.verification_token", transport.websocket()
                            ? "is required with feishu.encrypt_key, which turns the webhook routes on (FEISHU_VERIFICATION_TOKEN)"
                            : "is required when feishu.app_id is set (FEISHU_VERIFICATION_TOKEN)");
                }
                if (encryptKey.isEmpty() && !allowUnencrypted && !transport.websocket()) {
                    throw new ConfigException("feishu.encrypt_key", "is empty: without it nothing authenticates a request; set FEISHU_ENCRYPT_KEY "
                            + "or feishu.allow_unencrypted: true, or FEISHU_TRANSPORT=websocket when there is no public URL");
                }
            }
            var feishu = new BotConfig.Feishu(appId, secret, token, encryptKey, stripSlash(baseUrl),
                    text("feishu.app_version", ""), allowUnencrypted,
                    Duration.ofMillis(integer("feishu.timeouts.connect_ms", 2000, 1, 60_000)),
                    Duration.ofMillis(integer("feishu.timeouts.read_ms", 5000, 1, 120_000)),
                    Duration.ofMillis(integer("feishu.timeouts.call_ms", 8000, 1, 120_000)),
                    Duration.ofMillis(integer("feishu.rate_limit_max_wait_ms", 1500, 0, 60_000)), false, transport);

            String db = text("database.url", "jdbc:sqlite:data/permission-bot.db");
            if (!db.matches("(jdbc:sqlite:|jdbc:postgresql://|postgres://|postgresql://).+")) {
                throw new ConfigException("database.url", "must start with jdbc:sqlite:, jdbc:postgresql:// or postgres:// (DATABASE_URL)");
            }
            if (appId.isEmpty() && !db.startsWith("jdbc:sqlite:")) {
                throw new ConfigException("database.url", "is PostgreSQL, but without FEISHU_APP_ID the bot runs in sandbox mode, "
                        + "which uses SQLite only, so the emulator's made-up tenant never reaches a real database; "
                        + "set FEISHU_APP_ID, or leave DATABASE_URL unset");
            }

            var inbox = new BotConfig.Inbox(
                    integer("inbox.workers", 16, 1, 64),
                    Duration.ofSeconds(integer("inbox.lease_seconds", 60, 5, 3600)),
                    Duration.ofHours(integer("inbox.retention_hours", 24, 12, 24 * 30)),
                    Duration.ofMillis(integer("inbox.poll_ms", 2000, 50, 60_000)));

            Set<String> allowed = new LinkedHashSet<>();
            for (String id : list("apply.allowed_open_ids")) {
                if (!id.matches("ou_[A-Za-z0-9]+")) throw new ConfigException("apply.allowed_open_ids", "'" + id + "' is not an open_id (ou_...)");
                allowed.add(id);
            }
            var apply = new BotConfig.Apply(allowed,
                    Duration.ofSeconds(integer("apply.cooldown_seconds", 10, 0, 3600)),
                    text("apply.fallback_version", ""),
                    Duration.ofMillis(integer("apply.answer_within_ms", 2000, 100, 2500)));

            String cards = text("cards.override_dir", "");
            Path cardsDir = null;
            if (!cards.isEmpty()) {
                cardsDir = Path.of(cards);
                if (!Files.isDirectory(cardsDir)) throw new ConfigException("cards.override_dir", "is not a directory: " + cards);
            }
            List<String> codes = list("approval.subscribe");
            for (String code : codes) {
                if (!ApprovalCodeShape.valid(code)) {
                    throw new ConfigException("approval.subscribe", "'" + code + "' is not an approval definition code ("
                            + ApprovalCodeShape.MIN_LENGTH + " to " + ApprovalCodeShape.MAX_LENGTH
                            + " letters, digits or hyphens, such as " + ApprovalCodeShape.EXAMPLE + ")");
                }
            }
            String ops = text("follow.ops_chat_id", "");
            if (!ops.isEmpty() && !ops.matches("oc_[A-Za-z0-9]+")) throw new ConfigException("follow.ops_chat_id", "must be a chat_id (oc_...)");
            var follow = new BotConfig.Follow(Duration.ofDays(integer("follow.horizon_days", 7, 1, 90)),
                    Duration.ofSeconds(integer("follow.tick_seconds", 15, 1, 3600)), ops,
                    Duration.ofMinutes(integer("follow.max_interval_minutes", 5, 1, 60)),
                    Duration.ofSeconds(integer("follow.scopes_cache_seconds", 60, 0, 3600)));
            var retry = new BotConfig.Retry(Duration.ofMillis(integer("retry.in_call_ms", 300, 0, 10_000)),
                    Duration.ofMillis(integer("retry.outbox_first_ms", 1000, 10, 600_000)),
                    Duration.ofMillis(integer("retry.outbox_max_ms", 600_000, 10, 3_600_000)));
            rejectUnknown(root, "");
            return new BotConfig(port, maxBody, feishu, db, inbox, apply, cardsDir, List.copyOf(codes), follow, retry, host);
        }

        /** {@code feishu.transport} and the long connection's timing (read in either mode, so a typo is caught early). */
        private Transport transport() {
            String kind = text("feishu.transport", Transport.WEBHOOK).toLowerCase(java.util.Locale.ROOT);
            if (!kind.equals(Transport.WEBHOOK) && !kind.equals(Transport.WEBSOCKET)) {
                throw new ConfigException("feishu.transport", "must be webhook or websocket (FEISHU_TRANSPORT), got '" + kind + "'");
            }
            return new Transport(kind.equals(Transport.WEBSOCKET),
                    Duration.ofMillis(integer("feishu.long_connection.pong_timeout_ms", 10_000, 100, 600_000)),
                    Duration.ofMillis(integer("feishu.long_connection.reconnect_jitter_ms", 1_000, 0, 600_000)),
                    Duration.ofMillis(integer("feishu.long_connection.retry_first_ms", 1_000, 0, 600_000)),
                    Duration.ofSeconds(integer("feishu.long_connection.unhealthy_after_seconds", 120, 1, 86_400)));
        }

        /** A secret, token or key without an app id is a half-configured real app: it must never start sandbox mode. */
        private static void refuseCredentialsWithoutAppId(String secret, String token, String encryptKey) {
            List<String> set = new ArrayList<>();
            if (!secret.isEmpty()) set.add("FEISHU_APP_SECRET (feishu.app_secret)");
            if (!token.isEmpty()) set.add("FEISHU_VERIFICATION_TOKEN (feishu.verification_token)");
            if (!encryptKey.isEmpty()) set.add("FEISHU_ENCRYPT_KEY (feishu.encrypt_key)");
            if (set.isEmpty()) return;
            throw new ConfigException("feishu.app_id", "FEISHU_APP_ID is not set, but " + String.join(", ", set)
                    + (set.size() == 1 ? " is" : " are") + ": set FEISHU_APP_ID too, or remove "
                    + (set.size() == 1 ? "it" : "them") + " to run sandbox mode");
        }

        private JsonNode node(String dotted) {
            known.add(dotted);
            JsonNode cur = root;
            for (String p : dotted.split("\\.")) {
                if (cur == null || !cur.isObject()) return null;
                cur = cur.get(p);
            }
            return cur == null || cur.isNull() ? null : cur;
        }

        private String text(String key, String dflt) {
            JsonNode n = node(key);
            if (n == null) return dflt;
            if (!n.isValueNode()) throw new ConfigException(key, "must be a single value");
            return n.asText().trim();
        }

        private boolean bool(String key, boolean dflt) {
            String v = text(key, String.valueOf(dflt)).toLowerCase();
            if (v.equals("true") || v.equals("false")) return Boolean.parseBoolean(v);
            throw new ConfigException(key, "must be true or false, got '" + v + "'");
        }

        private int integer(String key, int dflt, int min, int max) {
            String v = text(key, String.valueOf(dflt));
            int i;
            try {
                i = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new ConfigException(key, "must be a whole number, got '" + v + "'");
            }
            if (i < min || i > max) throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + i);
            return i;
        }

        private List<String> list(String key) {
            JsonNode n = node(key);
            List<String> out = new ArrayList<>();
            if (n == null) return out;
            if (n.isTextual()) {
                for (String s : n.asText().split(",")) if (!s.isBlank()) out.add(s.trim());
                return out;
            }
            if (!n.isArray()) throw new ConfigException(key, "must be a list");
            for (JsonNode e : n) {
                if (!e.isValueNode()) throw new ConfigException(key, "must be a list of values");
                if (!e.asText().isBlank()) out.add(e.asText().trim());
            }
            return out;
        }

        private void rejectUnknown(JsonNode node, String path) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                var e = it.next();
                String key = join(path, e.getKey());
                if (known.contains(key)) continue;
                boolean prefix = known.stream().anyMatch(k -> k.startsWith(key + "."));
                if (!prefix) throw new ConfigException(key, "unknown key (check the spelling against bot-config.yaml)");
                if (e.getValue().isObject()) rejectUnknown(e.getValue(), key);
                else throw new ConfigException(key, "must be a mapping");
            }
        }

        private static String stripSlash(String url) {
            try {
                URI.create(url);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("feishu.base_url", "is not a valid URL: " + url);
            }
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }
    }
}
