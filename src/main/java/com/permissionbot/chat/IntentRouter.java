package com.permissionbot.chat;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Text to intent: normalises what the user typed and finds the first registered pattern that matches all of it. */
public final class IntentRouter {
    private static final Pattern MENTION = Pattern.compile("@_user_\\d+|@_all");
    private static final Pattern EDGE_PUNCT = Pattern.compile("^[\\p{Punct}\\p{IsPunctuation}\\s]+|[\\p{Punct}\\p{IsPunctuation}\\s]+$");

    /** A registered intent. */
    private record Route(String name, Pattern pattern, MessageHandler handler) {}

    /** The matched intent, its handler and the pattern's groups. */
    public record Match(String name, MessageHandler handler, Matcher groups) {}

    private final List<Route> routes = new ArrayList<>();

    /** Registers a handler for a pattern over normalised text; a name or pattern registered twice fails at start-up. */
    public IntentRouter on(String name, String regex, MessageHandler handler) {
        for (Route r : routes) {
            if (r.name().equals(name)) throw new IllegalStateException("intent '" + name + "' is registered twice");
            if (r.pattern().pattern().equals(regex)) throw new IllegalStateException("pattern for '" + name + "' duplicates '" + r.name() + "'");
        }
        routes.add(new Route(name, Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.DOTALL), handler));
        return this;
    }

    public Optional<Match> route(String text) {
        String t = normalise(text);
        for (Route r : routes) {
            Matcher m = r.pattern().matcher(t);
            if (m.matches()) return Optional.of(new Match(r.name(), r.handler(), m));
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
}
