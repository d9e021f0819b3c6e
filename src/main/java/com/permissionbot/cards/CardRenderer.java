package com.permissionbot.cards;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads the card templates ({@code cards/*.json}, packaged in the jar, optionally overridden from a folder),
 * validates them at start-up, and renders a card by filling variables into JSON string nodes. An object inside an
 * array may carry {@code "if": "flag"} or {@code "if": "!flag"}: it is kept only when the flag is (not) set.
 */
public final class CardRenderer {
    /** https://open.feishu.cn/document/server-docs/im-v1/message/create : a card body is at most 30 KB. */
    public static final int MAX_BYTES = 30 * 1024;
    /** https://open.feishu.cn/document/feishu-cards/card-json-v2-structure : at most 200 elements. */
    public static final int MAX_ELEMENTS = 200;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern VAR = Pattern.compile("\\$\\{([a-z_][a-z0-9_]*)}");
    private static final Pattern ELEMENT_ID = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,19}");
    private static final Pattern CONDITION = Pattern.compile("!?[a-z_][a-z0-9_]*");
    private static final String IF = "if";
    /** Jackson's "(start marker at [Source: …; line: 1, column: 1])" and "[Source: …]" parts of a message. */
    private static final Pattern SOURCE_DUMP = Pattern.compile("\\s*\\(?(?:start marker at )?\\[Source: .*?; line: \\d+, column: \\d+]\\)?", Pattern.DOTALL);

    private final Path overrideDir;
    private volatile Map<String, ObjectNode> templates = Map.of();

    /** A renderer whose templates are loaded once the features have said which they use ({@link #load(Collection)}). */
    public CardRenderer(Path overrideDir) {
        this.overrideDir = overrideDir;
    }

    /** Loads and validates {@code names} at once (the packaged templates, each maybe replaced from {@code overrideDir}). */
    public static CardRenderer load(Path overrideDir, Collection<String> names) {
        return new CardRenderer(overrideDir).load(names);
    }

    /**
     * Loads the packaged templates named, each replaced by a file of the same name in the override folder if present;
     * a file there that replaces no template (a typo, a stray copy) is an error too, since it would silently do nothing.
     * Any problem stops start-up with one line naming the file.
     */
    public CardRenderer load(Collection<String> names) {
        List<String> sorted = names.stream().sorted().toList();
        if (overrideDir != null) refuseStrangers(overrideDir, sorted);
        Map<String, ObjectNode> out = new LinkedHashMap<>();
        for (String name : sorted) {
            String file = name + ".json";
            String text;
            Path override = overrideDir == null ? null : overrideDir.resolve(file);
            try {
                if (override != null && Files.isRegularFile(override)) {
                    text = Files.readString(override);
                    file = override.toString();
                } else {
                    try (InputStream in = CardRenderer.class.getResourceAsStream("/cards/" + file)) {
                        if (in == null) throw new CardTemplateException(file, "is missing from the jar");
                        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                }
            } catch (IOException e) {
                throw new CardTemplateException(file, "cannot be read: " + e.getMessage());
            }
            out.put(name, validate(file, text));
        }
        templates = Map.copyOf(out);
        return this;
    }

    /** Every regular, visible file in the override folder must be named after a template. */
    private static void refuseStrangers(Path dir, List<String> templates) {
        Set<String> names = new HashSet<>();
        for (String t : templates) names.add(t + ".json");
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.startsWith(".") || !Files.isRegularFile(f) || names.contains(name)) continue;
                String near = templates.stream().map(t -> t + ".json").filter(t -> distance(t, name) <= 3).findFirst()
                        .map(t -> " (did you mean " + t + "?)").orElse("");
                throw new CardTemplateException(f.toString(), "replaces none of the bot's templates" + near
                        + ": files in cards.override_dir are named after the templates in cards/, such as quota.json");
            }
        } catch (IOException e) {
            throw new CardTemplateException(dir.toString(), "cannot be listed: " + e.getMessage());
        }
    }

    /** Edit distance, for suggesting the template a misspelt file name meant. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Parses and checks one template: JSON 2.0, update_multi, both languages on every text, valid unique element ids. */
    static ObjectNode validate(String file, String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new CardTemplateException(file, "is not valid JSON" + problem(e));
        }
        if (!(root instanceof ObjectNode card)) throw new CardTemplateException(file, "must be a JSON object");
        if (!"2.0".equals(card.path("schema").asText())) throw new CardTemplateException(file, "must declare \"schema\": \"2.0\"");
        if (!card.path("config").path("update_multi").asBoolean(false)) {
            throw new CardTemplateException(file, "must set config.update_multi to true (cards are updated in place)");
        }
        if (!card.path("body").path("elements").isArray()) throw new CardTemplateException(file, "needs body.elements");
        check(file, card, "$", false, new HashSet<>());
        return card;
    }

    /**
     * Where and what, in a few words: the parser's own message without its dump of the source (which may run on for
     * the whole file) or the position it repeats, e.g. {@code " at line 3, column 5: Unexpected character ('}')"}.
     */
    static String problem(IOException e) {
        String what = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        what = what == null ? "" : SOURCE_DUMP.matcher(what).replaceAll("");
        int nl = what.indexOf('\n');
        if (nl >= 0) what = what.substring(0, nl);
        what = what.strip();
        if (what.length() > 160) what = what.substring(0, 159) + "\u2026";
        String at = "";
        if (e instanceof JsonProcessingException j && j.getLocation() != null && j.getLocation().getLineNr() > 0) {
            at = " at line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr();
        }
        return at + (what.isEmpty() ? "" : ": " + what);
    }

    private static void check(String file, JsonNode n, String path, boolean inArray, Set<String> ids) {
        if (n.isObject()) {
            if (n.has(IF)) {
                if (!inArray) throw new CardTemplateException(file, path + ".if is only allowed on objects inside arrays");
                if (!n.get(IF).isTextual() || !CONDITION.matcher(n.get(IF).asText()).matches()) {
                    throw new CardTemplateException(file, path + ".if must be a flag name, optionally after !");
                }
            }
            String tag = n.path("tag").asText("");
            if (tag.equals("markdown") || tag.equals("plain_text") || tag.equals("lark_md")) {
                JsonNode i18n = n.path("i18n_content");
                if (!i18n.path("zh_cn").isTextual() || !i18n.path("en_us").isTextual()) {
                    throw new CardTemplateException(file, path + " needs i18n_content with zh_cn and en_us");
                }
            }
            if (n.has("element_id")) {
                String id = n.path("element_id").asText();
                if (!ELEMENT_ID.matcher(id).matches()) {
                    throw new CardTemplateException(file, path + ".element_id must be a letter then up to 19 letters, digits or _");
                }
                if (!ids.add(id)) throw new CardTemplateException(file, path + ".element_id '" + id + "' is used twice");
            }
            n.fields().forEachRemaining(e -> check(file, e.getValue(), path + "." + e.getKey(), false, ids));
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) check(file, n.get(i), path + "[" + i + "]", true, ids);
        }
    }

    /** Renders a template; every variable and flag it names must be given. */
    public Card render(String name, Vars vars) {
        ObjectNode t = templates.get(name);
        if (t == null) throw new IllegalArgumentException("no card template '" + name + "' (a feature renders it without registering it)");
        ObjectNode card = (ObjectNode) fill(t.deepCopy(), vars, name, false);
        Card c = new Card(name, card.toString());
        int bytes = c.bytes();
        if (bytes > MAX_BYTES) throw new IllegalStateException("card '" + name + "' is " + bytes + " bytes, over " + MAX_BYTES);
        int elements = elements(card);
        if (elements > MAX_ELEMENTS) {
            throw new IllegalStateException("card '" + name + "' has " + elements + " elements, over " + MAX_ELEMENTS);
        }
        return c;
    }

    /** Every JSON object with a {@code tag} counts as an element. */
    public static int elements(JsonNode n) {
        int count = n.isObject() && n.has("tag") ? 1 : 0;
        for (JsonNode c : n) count += elements(c);
        return count;
    }

    private JsonNode fill(JsonNode n, Vars vars, String name, boolean markdown) {
        if (n.isTextual()) return TextNode.valueOf(substitute(n.asText(), vars, name, markdown));
        if (n.isObject()) {
            ObjectNode o = (ObjectNode) n;
            String tag = o.path("tag").asText("");
            boolean md = tag.isEmpty() ? markdown : tag.equals("markdown") || tag.equals("lark_md");
            o.fields().forEachRemaining(e -> e.setValue(fill(e.getValue(), vars, name, md)));
            return o;
        }
        if (n.isArray()) {
            ArrayNode a = (ArrayNode) n;
            for (int i = 0; i < a.size(); ) {
                JsonNode c = a.get(i);
                if (c.isObject() && c.has(IF)) {
                    if (!vars.holds(c.get(IF).asText(), name)) {
                        a.remove(i);
                        continue;
                    }
                    ((ObjectNode) c).remove(IF);
                }
                a.set(i++, fill(c, vars, name, markdown));
            }
        }
        return n;
    }

    private static String substitute(String s, Vars vars, String name, boolean markdown) {
        if (s.indexOf("${") < 0) return s;
        Matcher m = VAR.matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String key = m.group(1);
            String v = vars.values.get(key);
            if (v == null) throw new IllegalStateException("card '" + name + "' needs variable " + key);
            if (!markdown && vars.escaped.contains(key)) {
                throw new IllegalStateException("card '" + name + "': variable " + key
                        + " is escaped for markdown and may only appear in a markdown element");
            }
            m.appendReplacement(b, Matcher.quoteReplacement(v));
        }
        m.appendTail(b);
        return b.toString();
    }

    /**
     * Template variables and flags: {@link #text} escapes untrusted text for markdown, {@link #list} makes an
     * escaped bullet list of untrusted items, {@link #person} shows a user by name; these may only appear inside a
     * markdown element (elsewhere the entities would show). {@link #trusted} and {@link #number} are the bot's own
     * text (button values, numbers) and may appear anywhere.
     */
    public static final class Vars {
        private final Map<String, String> values = new HashMap<>();
        private final Set<String> escaped = new HashSet<>();
        private final Map<String, Boolean> flags = new HashMap<>();

        public static Vars of() {
            return new Vars();
        }

        public Vars text(String key, String untrusted) {
            values.put(key, Markdown.escape(untrusted));
            escaped.add(key);
            return this;
        }

        public Vars list(String key, List<String> untrustedItems) {
            values.put(key, Markdown.bullets(untrustedItems));
            escaped.add(key);
            return this;
        }

        /** A person by name for a well-formed open_id ({@link Markdown#person}); markdown only, like {@link #text}. */
        public Vars person(String key, String openId) {
            values.put(key, Markdown.person(openId));
            escaped.add(key);
            return this;
        }

        /** A bullet list of items the caller built from {@link Markdown#escape} and {@link Markdown#person}; markdown only. */
        public Vars markdownList(String key, List<String> markdownItems) {
            values.put(key, Markdown.bulletsOf(markdownItems));
            escaped.add(key);
            return this;
        }

        public Vars trusted(String key, String value) {
            values.put(key, value);
            escaped.remove(key);
            return this;
        }

        public Vars number(String key, long n) {
            return trusted(key, Long.toString(n));
        }

        public Vars flag(String key, boolean on) {
            flags.put(key, on);
            return this;
        }

        private boolean holds(String condition, String card) {
            boolean not = condition.startsWith("!");
            String key = not ? condition.substring(1) : condition;
            Boolean on = flags.get(key);
            if (on == null) throw new IllegalStateException("card '" + card + "' needs flag " + key);
            return on != not;
        }
    }
}
