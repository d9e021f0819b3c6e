package com.permissionbot.chat;

import java.text.Normalizer;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Text to intent: normalises what the user typed and finds the first registered intent (by precedence) matching all of it. */
public final class IntentRouter {
    private static final Pattern MENTION = Pattern.compile("@_user_\\d+|@_all");
    private static final Pattern EDGE_PUNCT = Pattern.compile("^[\\p{Punct}\\p{IsPunctuation}\\s]+|[\\p{Punct}\\p{IsPunctuation}\\s]+$");

    /** The matched intent and what followed the command (its last capturing group), in the case the user typed it. */
    public record Routed(Registry.Intent intent, String argument) {}

    private final List<Registry.Intent> intents;

    public IntentRouter(List<Registry.Intent> intents) {
        this.intents = List.copyOf(intents);
    }

    public Optional<Routed> route(String text) {
        String t = normalise(text);
        for (Registry.Intent i : intents) {
            Matcher m = i.pattern().matcher(t);
            if (m.matches()) return Optional.of(new Routed(i, argument(text, m)));
        }
        return Optional.empty();
    }

    /** Full-width to half-width (NFKC), mention placeholders removed, lower case, spaces collapsed, edge punctuation trimmed. */
    public static String normalise(String text) {
        String t = Normalizer.normalize(text == null ? "" : text, Normalizer.Form.NFKC);
        t = MENTION.matcher(t).replaceAll(" ");
        t = t.toLowerCase(Locale.ROOT).replaceAll("[\\s\\u00a0\\u3000]+", " ").trim();
        return EDGE_PUNCT.matcher(t).replaceAll("");
    }

    /**
     * The last capturing group that matched, as the user typed it: the pattern matched lower-cased text, and arguments
     * such as approval codes are case-sensitive, so the matched text is found again (ignoring case) in the message
     * after the same width folding. Empty when the pattern captured nothing.
     */
    static String argument(String raw, Matcher g) {
        String matched = null;
        for (int i = 1; i <= g.groupCount(); i++) {
            if (g.group(i) != null) matched = g.group(i).trim();
        }
        if (matched == null || matched.isEmpty()) return "";
        String folded = Normalizer.normalize(raw == null ? "" : raw, Normalizer.Form.NFKC);
        Matcher original = Pattern.compile(Pattern.quote(matched), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE).matcher(folded);
        String found = null;
        while (original.find()) found = original.group();
        return found != null ? found : matched;
    }
}
