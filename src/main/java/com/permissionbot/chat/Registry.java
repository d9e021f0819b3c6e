package com.permissionbot.chat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Everything the features add, registered in one place (after Bolt for Java's {@code App}): intents with an explicit
 * precedence and an optional help line, card buttons, the events they handle with the parser for each, and the card
 * templates they render. The bot is built from it: the conversation's routing, the help card's command list, the
 * click routing, the event types the intake stores and the workers handle, and the templates validated at start-up.
 */
public final class Registry {
    private static final Logger log = LoggerFactory.getLogger(Registry.class);

    /** A line of the help card, in both languages (trusted markdown). */
    public record Help(String zh, String en) {}

    /** An intent: its pattern must match the whole normalised text; lower precedence is tried first. */
    public record Intent(String name, int precedence, Pattern pattern, Help help, IntentHandler handler) {}

    /** A button, by its callback {@code action}; {@code repeatable} ones (paging) run on every click. */
    public record Action(String name, boolean repeatable, CardActionHandler handler) {}

    /** An event type: its payload parsed into the feature's record, then handled. */
    public record Event<T>(String type, Function<String, T> parse, Consumer<T> handle) {
        /** Parses and handles one stored payload; one the parser cannot read is logged and dropped (a retry would not fix it). */
        public void run(String eventId, String payload) {
            T parsed;
            try {
                parsed = parse.apply(payload);
            } catch (IllegalArgumentException bad) {
                log.warn("event {} ({}) dropped: {}", eventId, type, bad.getMessage());
                return;
            }
            handle.accept(parsed);
        }
    }

    private final List<Intent> intents = new ArrayList<>();
    private final Map<String, Action> actions = new LinkedHashMap<>();
    private final Map<String, Event<?>> events = new LinkedHashMap<>();
    private final Set<String> templates = new LinkedHashSet<>();

    /** An intent without a help line of its own. */
    public Registry intent(String name, int precedence, String regex, IntentHandler handler) {
        return intent(name, precedence, regex, null, handler);
    }

    /** An intent; a name, precedence or pattern registered twice fails at start-up. */
    public Registry intent(String name, int precedence, String regex, Help help, IntentHandler handler) {
        for (Intent i : intents) {
            if (i.name().equals(name)) throw new IllegalStateException("intent '" + name + "' is registered twice");
            if (i.precedence() == precedence) throw new IllegalStateException("intents '" + name + "' and '" + i.name() + "' share precedence " + precedence);
            if (i.pattern().pattern().equals(regex)) throw new IllegalStateException("pattern for '" + name + "' duplicates '" + i.name() + "'");
        }
        intents.add(new Intent(name, precedence, Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.DOTALL),
                help, handler));
        intents.sort(Comparator.comparingInt(Intent::precedence));
        return this;
    }

    /** A button whose click runs once (a double click, or the same click on another replica, gets the first answer). */
    public Registry action(String name, CardActionHandler handler) {
        return add(new Action(name, false, handler));
    }

    /** A button that is safe to run on every click (paging, refreshing). */
    public Registry repeatableAction(String name, CardActionHandler handler) {
        return add(new Action(name, true, handler));
    }

    private Registry add(Action a) {
        if (actions.putIfAbsent(a.name(), a) != null) throw new IllegalStateException("card action '" + a.name() + "' already has a handler");
        return this;
    }

    /** An event type the bot subscribes to; the intake stores only registered types and acknowledges the rest. */
    public <T> Registry event(String type, Function<String, T> parse, Consumer<T> handle) {
        if (events.putIfAbsent(type, new Event<>(type, parse, handle)) != null) {
            throw new IllegalStateException("event '" + type + "' already has a handler");
        }
        return this;
    }

    /** Card templates the feature renders (files in {@code cards/}); all are validated at start-up. */
    public Registry templates(String... names) {
        Collections.addAll(templates, names);
        return this;
    }

    /** In precedence order. */
    public List<Intent> intents() {
        return List.copyOf(intents);
    }

    public Map<String, Action> actions() {
        return Map.copyOf(actions);
    }

    public Map<String, Event<?>> events() {
        return Map.copyOf(events);
    }

    public Set<String> templates() {
        return Set.copyOf(templates);
    }

    /** The help card's command list: each intent's help line, in precedence order. */
    public List<Help> help() {
        return intents.stream().map(Intent::help).filter(h -> h != null).toList();
    }
}
