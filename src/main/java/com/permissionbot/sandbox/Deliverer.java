package com.permissionbot.sandbox;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * How the sandbox platform delivers events and card clicks to the bot, as {@code FEISHU_TRANSPORT} says: encrypted,
 * signed pushes to its webhook ({@link EventPusher}), or frames over the long connection it holds
 * ({@link LongConnectionGateway}). The playground and the approval events see one view of both.
 */
public interface Deliverer {

    /** {@code webhook} or {@code websocket}. */
    String transport();

    /** The events this transport pushes (with the verification token where webhooks carry one). */
    PlatformEvents events();

    /** A user writes in a chat: the message is registered on the platform and its event pushed. */
    Said say(String chatId, String chatType, PlatformEvents.Person sender, String text, PlatformEvents.Person... mentioned);

    /** Pushes a plain event; retried on the platform's schedule until acknowledged. */
    Pushed push(String plainEvent);

    Pushed botAdded(String chatId, String chatName, PlatformEvents.Person operator);

    /**
     * A click on a button of the bot's card, answered within the platform's 3 s (or the client error a user would see);
     * {@code formValue}: the inputs of the form the button submits, by name (null outside a form).
     */
    EventPusher.CallbackResult click(String messageId, PlatformEvents.Person operator, JsonNode value, String elementName,
                                     JsonNode formValue);

    boolean duplicates();

    void setDuplicates(boolean on);

    /** The latest deliveries, newest first. */
    List<Pushed> recent();

    /** A message and the delivery of its event. */
    record Said(ImMessage message, Pushed delivery) {}

    /** One attempt: its number, the platform's delay before it, the answer (HTTP status or ack code, 0 if none), the connection. */
    record Try(int number, Duration after, int status, String error, long ms, String connection) {
        public boolean ok() {
            return status == 200;
        }
    }

    /** One event on its way. */
    interface Pushed {
        String eventId();

        String type();

        /** ORIGINAL, DUPLICATE or REPUSH. */
        String kind();

        String messageId();

        String transport();

        /** True once acknowledged, false once the platform gave up. */
        CompletableFuture<Boolean> done();

        List<Try> attempts();

        /** The first attempt, waited for (the deadline and a little more at most). */
        Try awaitFirst();
    }

    static Deliverer webhook(EventPusher pusher) {
        return new Deliverer() {
            @Override
            public String transport() {
                return "webhook";
            }

            @Override
            public PlatformEvents events() {
                return pusher.events();
            }

            @Override
            public Said say(String chatId, String chatType, PlatformEvents.Person sender, String text, PlatformEvents.Person... mentioned) {
                EventPusher.Said s = pusher.say(chatId, chatType, sender, text, mentioned);
                return new Said(s.message(), of(s.delivery()));
            }

            @Override
            public Pushed push(String plainEvent) {
                return of(pusher.push(plainEvent));
            }

            @Override
            public Pushed botAdded(String chatId, String chatName, PlatformEvents.Person operator) {
                return of(pusher.botAdded(chatId, chatName, operator));
            }

            @Override
            public EventPusher.CallbackResult click(String messageId, PlatformEvents.Person operator, JsonNode value, String elementName,
                                                    JsonNode formValue) {
                return pusher.click(messageId, operator, value, elementName, formValue);
            }

            @Override
            public boolean duplicates() {
                return pusher.duplicates();
            }

            @Override
            public void setDuplicates(boolean on) {
                pusher.setDuplicates(on);
            }

            @Override
            public List<Pushed> recent() {
                return pusher.recent().stream().map(this::of).toList();
            }

            private Pushed of(EventPusher.Delivery d) {
                return new Pushed() {
                    public String eventId() { return d.eventId(); }
                    public String type() { return d.type(); }
                    public String kind() { return d.kind().name(); }
                    public String messageId() { return d.messageId(); }
                    public String transport() { return "webhook"; }
                    public CompletableFuture<Boolean> done() { return d.done(); }
                    public List<Try> attempts() { return d.attempts().stream().map(Deliverer::of).toList(); }
                    public Try awaitFirst() { return Deliverer.of(d.awaitFirst()); }
                };
            }
        };
    }

    static Deliverer longConnection(LongConnectionGateway gateway) {
        return new Deliverer() {
            @Override
            public String transport() {
                return "websocket";
            }

            @Override
            public PlatformEvents events() {
                return gateway.events();
            }

            @Override
            public Said say(String chatId, String chatType, PlatformEvents.Person sender, String text, PlatformEvents.Person... mentioned) {
                LongConnectionGateway.Said s = gateway.say(chatId, chatType, sender, text, mentioned);
                return new Said(s.message(), of(s.delivery()));
            }

            @Override
            public Pushed push(String plainEvent) {
                return of(gateway.push(plainEvent));
            }

            @Override
            public Pushed botAdded(String chatId, String chatName, PlatformEvents.Person operator) {
                return of(gateway.botAdded(chatId, chatName, operator));
            }

            @Override
            public EventPusher.CallbackResult click(String messageId, PlatformEvents.Person operator, JsonNode value, String elementName,
                                                    JsonNode formValue) {
                return gateway.click(messageId, operator, value, elementName, formValue);
            }

            @Override
            public boolean duplicates() {
                return gateway.duplicates();
            }

            @Override
            public void setDuplicates(boolean on) {
                gateway.setDuplicates(on);
            }

            @Override
            public List<Pushed> recent() {
                return gateway.recent().stream().map(this::of).toList();
            }

            private Pushed of(LongConnectionGateway.Delivery d) {
                return new Pushed() {
                    public String eventId() { return d.eventId(); }
                    public String type() { return d.type(); }
                    public String kind() { return d.kind().name(); }
                    public String messageId() { return d.messageId(); }
                    public String transport() { return "websocket"; }
                    public CompletableFuture<Boolean> done() { return d.done(); }
                    public List<Try> attempts() { return d.attempts().stream().map(Deliverer::of).toList(); }

                    public Try awaitFirst() {
                        try {
                            return Deliverer.of(d.firstAttempt().get(gateway.timing().deadline().toMillis() + 5_000, TimeUnit.MILLISECONDS));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("interrupted");
                        } catch (Exception e) {
                            throw new IllegalStateException("no attempt finished: " + e);
                        }
                    }
                };
            }
        };
    }

    private static Try of(EventPusher.Attempt a) {
        return new Try(a.number(), a.after(), a.status(), a.error(), a.millis(), null);
    }

    private static Try of(LongConnectionGateway.Attempt a) {
        return new Try(a.number(), a.after(), a.code(), a.error(), a.millis(), a.connectionId());
    }
}
