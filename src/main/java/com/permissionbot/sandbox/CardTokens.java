package com.permissionbot.sandbox;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** The {@code c-} tokens handed to the bot in card callbacks, for delayed updates: 30 min, at most 2 uses. */
final class CardTokens {

    static final Duration VALID_FOR = Duration.ofMinutes(30);
    static final int MAX_USES = 2;
    static final Outcome BAD_FORMAT = new Outcome(300020, "token format error, the token must start with c-");
    static final Outcome EXPIRED = new Outcome(300030, "token expired");
    static final Outcome USED_UP = new Outcome(300040, "token has been used more than twice");

    private static final Pattern FORMAT = Pattern.compile("c-[0-9a-f]{8,64}");
    private static final int KEEP = 10_000;

    /** One token: the card it was issued for, when, and how often it has been used. */
    private static final class Issued {
        final String messageId;
        final Instant at;
        int uses;

        Issued(String messageId, Instant at) {
            this.messageId = messageId;
            this.at = at;
        }
    }

    /** A token that may be used now, for this message. */
    record Use(Outcome outcome, String messageId) {
    }

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Issued> tokens = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Issued> eldest) {
            return size() > KEEP;
        }
    };

    CardTokens(Clock clock) {
        this.clock = clock;
    }

    /** A fresh token for a click on {@code messageId}. */
    synchronized String issue(String messageId) {
        byte[] b = new byte[20];
        random.nextBytes(b);
        String token = "c-" + HexFormat.of().formatHex(b);
        tokens.put(token, new Issued(messageId, clock.instant()));
        return token;
    }

    /** Spends one use of the token; see https://open.feishu.cn/document/server-docs/im-v1/message-card/delay-update-message-card */
    synchronized Use use(String token) {
        if (token == null || !FORMAT.matcher(token).matches()) {
            return new Use(BAD_FORMAT, null);
        }
        Issued t = tokens.get(token);
        if (t == null || Duration.between(t.at, clock.instant()).compareTo(VALID_FOR) > 0) {
            return new Use(EXPIRED, null);
        }
        if (t.uses >= MAX_USES) {
            return new Use(USED_UP, t.messageId);
        }
        t.uses++;
        return new Use(Outcome.OK, t.messageId);
    }
}
