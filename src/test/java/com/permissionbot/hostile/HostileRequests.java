package com.permissionbot.hostile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.lark.oapi.core.utils.Decryptor;
import com.permissionbot.feishu.Envelope;
import com.permissionbot.sandbox.PlatformCrypto;
import com.permissionbot.support.BotHarness;
import com.permissionbot.support.Events;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Generates bad requests for the webhook edge from a seeded {@link Random}: each one with the class it belongs to
 * and the answers allowed for that class. Requests built from the bot's real key are signed exactly as the platform
 * signs; the "valid" templates are events the test has already delivered on purpose, so any corrupted request that
 * still decrypts to one of them can only be a duplicate. Encryption and signature:
 * https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case
 */
final class HostileRequests {
    static final String EVENT = "/webhook/event";
    static final String CARD = "/webhook/card";
    static final String JSON_TYPE = "application/json; charset=utf-8";
    static final int MAX_BODY = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Decryptor SDK_DECRYPTOR = new Decryptor(BotHarness.KEY);

    /** One request: its class, where it goes, the exact bytes and headers, and the answers allowed. */
    record Req(String cls, String path, byte[] body, Map<String, String> headers, String contentType, boolean chunked,
               Set<Integer> expect) {
        @Override
        public String toString() {
            String shown = new String(body, 0, Math.min(body.length, 120), StandardCharsets.ISO_8859_1);
            return cls + " " + path + " (" + body.length + " bytes, " + contentType + (chunked ? ", chunked" : "") + ") "
                    + headers.keySet() + " " + shown.replaceAll("[^\\x20-\\x7e]", "?");
        }
    }

    /** An event delivered on purpose: its plaintext and the exact request that delivered it (for replays). */
    record Valid(String plain, String path, byte[] body, Map<String, String> headers) {}

    private final Random rnd;
    private final List<Valid> messages;
    private final String clickTemplate;

    /**
     * @param messages message events already delivered (their replays and corruptions can only be duplicates)
     * @param clickTemplate a card.action.trigger callback whose action no handler knows (answered, never stored)
     */
    HostileRequests(long seed, List<Valid> messages, String clickTemplate) {
        this.rnd = new Random(seed);
        this.messages = List.copyOf(messages);
        this.clickTemplate = clickTemplate;
    }

    /** One batch: every class with its count, shuffled with the same seed. */
    List<Req> batch() {
        List<Req> out = new ArrayList<>();
        add(out, 600, this::truncatedSigned);
        add(out, 300, this::truncatedForged);
        add(out, 600, this::bitFlipSigned);
        add(out, 300, this::bitFlipForged);
        add(out, 300, this::badBase64Signed);
        add(out, 100, this::badBase64Unsigned);
        add(out, 400, this::wrongLengthSigned);
        add(out, 8, this::oversized);
        add(out, 4, this::oversizedChunked);
        add(out, 4, this::atTheLimit);
        add(out, 40, this::deepNestingRaw);
        add(out, 30, this::deepNestingEncrypted);
        add(out, 20, this::hugeStrings);
        add(out, 400, this::invalidUtf8);
        add(out, 400, this::wrongContentType);
        add(out, 200, this::empty);
        add(out, 300, this::nonJsonPlaintext);
        add(out, 200, this::arrayPlaintext);
        add(out, 400, this::missingFields);
        add(out, 300, this::replay);
        add(out, 300, this::resignedWithWrongKey);
        add(out, 300, this::tokenChanged);
        add(out, 400, this::legacyBadSha1);
        add(out, 100, this::legacyUnsignedOrNotACallback);
        add(out, 200, this::unsignedValid);
        add(out, 200, this::plaintextSigned);
        add(out, 300, this::garbageSignatureHeaders);
        add(out, 300, this::randomBytes);
        java.util.Collections.shuffle(out, rnd);
        return out;
    }

    /** Three quarters of the nominal count: two batches are then a little over 10,000 requests. */
    private static void add(List<Req> out, int n, Supplier<Req> make) {
        int scaled = n < 50 ? n : n * 3 / 4;
        for (int i = 0; i < scaled; i++) out.add(make.get());
    }

    // ---- the classes -------------------------------------------------------------------------------------------

    /** The base64 cut short (at any length), then signed correctly: undecryptable or a cut JSON text. */
    private Req truncatedSigned() {
        String enc = encryptedMessage();
        // at least one base64 digit goes (dropping only the '=' padding changes nothing: the decoder does not need it)
        String cut = enc.substring(0, rnd.nextInt(enc.replaceAll("=+$", "").length()));
        return signed("truncated ciphertext, signed", anyPath(), wrap(cut), Set.of(400));
    }

    private Req truncatedForged() {
        String enc = encryptedMessage();
        String cut = enc.substring(0, rnd.nextInt(enc.replaceAll("=+$", "").length()));
        return forged("truncated ciphertext, forged signature", anyPath(), wrap(cut));
    }

    /**
     * One to three bits flipped anywhere in IV ‖ ciphertext, then signed correctly (a corruption before signing).
     * The outcome depends on where the bits land: undecryptable or not JSON (400), a renamed key that hides the
     * token (403), or the same event with a garbled text (a duplicate, 200). Flips that would turn the event into a
     * different valid event (another event or message id under the right token) are not generated.
     */
    private Req bitFlipSigned() {
        for (int attempt = 0; ; attempt++) {
            Valid v = pick(messages);
            byte[] raw = Base64.getDecoder().decode(PlatformCrypto.encrypt(BotHarness.KEY, v.plain(), iv()));
            int flips = 1 + rnd.nextInt(3);
            for (int i = 0; i < flips; i++) raw[rnd.nextInt(raw.length)] ^= (byte) (1 << rnd.nextInt(8));
            String enc = Base64.getEncoder().encodeToString(raw);
            if (attempt < 50 && becomesAnotherEvent(v.plain(), enc)) continue;
            return signed("bit-flipped ciphertext, signed", anyPath(), wrap(enc), Set.of(200, 400, 403));
        }
    }

    private Req bitFlipForged() {
        Valid v = pick(messages);
        byte[] body = v.body().clone();
        int start = "{\"encrypt\":\"".length();
        int at = start + rnd.nextInt(body.length - start - 2);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        byte was = body[at];
        while (body[at] == was) body[at] = (byte) alphabet.charAt(rnd.nextInt(64));
        // the body changed but its captured signature headers are kept
        return new Req("bit-flipped ciphertext, original signature", anyPath(), body, v.headers(), JSON_TYPE, false, Set.of(401));
    }

    private static final String[] BAD_BASE64 = {"!!not base64!!", "AAAA*AAAA", "====", "A", "AB=C", "YWJj\u0000ZA==",
            "-_-_-_-_-_-_-_-_-_-_-_-_", "AAECAwQFBgcICQoLDA0ODw==AAAA", "%41%41%41%41", "\\u0041AAA", "A\nB\nC\nD"};

    private Req badBase64Signed() {
        String enc = encryptedMessage();
        String bad = switch (rnd.nextInt(4)) {
            case 0 -> BAD_BASE64[rnd.nextInt(BAD_BASE64.length)];
            case 1 -> insertAt(enc, "!@#$%^&*()~`<>?".charAt(rnd.nextInt(15)) + "");
            case 2 -> insertAt(enc, "=");
            default -> enc.replace('+', '-').replace('/', '_') + "-_";
        };
        return signed("bad base64, signed", anyPath(), wrap(bad), Set.of(400));
    }

    private Req badBase64Unsigned() {
        return forged("bad base64, forged signature", anyPath(), wrap(BAD_BASE64[rnd.nextInt(BAD_BASE64.length)]));
    }

    /** Lengths AES-CBC cannot take: empty, shorter than the IV, the IV alone, not a multiple of 16, random blocks. */
    private Req wrongLengthSigned() {
        int len = switch (rnd.nextInt(5)) {
            case 0 -> 0;
            case 1 -> 1 + rnd.nextInt(15);
            case 2 -> 16;
            case 3 -> 17 + rnd.nextInt(400) * 16 + rnd.nextInt(15);
            default -> 32 + 16 * rnd.nextInt(200);
        };
        byte[] raw = new byte[len];
        rnd.nextBytes(raw);
        if (len >= 16 && rnd.nextBoolean()) System.arraycopy(iv(), 0, raw, 0, 16);
        return signed("wrong ciphertext length or random blocks, signed", anyPath(), wrap(Base64.getEncoder().encodeToString(raw)),
                Set.of(400));
    }

    /** Just over 1 MiB with a Content-Length (refused before reading). */
    private Req oversized() {
        byte[] body = filler(MAX_BODY + 1 + rnd.nextInt(100));
        return rnd.nextBoolean() ? signed("oversized body", anyPath(), body, Set.of(413))
                : forged("oversized body", anyPath(), body, Set.of(413));
    }

    /** Just over 1 MiB, chunked, no Content-Length (refused once the limit is read). */
    private Req oversizedChunked() {
        byte[] body = filler(MAX_BODY + 1 + rnd.nextInt(64 * 1024));
        Req r = signed("oversized chunked body", anyPath(), body, Set.of(413));
        return new Req(r.cls(), r.path(), r.body(), r.headers(), r.contentType(), true, r.expect());
    }

    /** Exactly 1 MiB: within the limit, so read, and then undecryptable. */
    private Req atTheLimit() {
        byte[] body = filler(MAX_BODY);
        Req r = signed("body of exactly 1 MiB, signed", anyPath(), body, Set.of(400));
        return rnd.nextBoolean() ? r : new Req(r.cls() + " (chunked)", r.path(), r.body(), r.headers(), r.contentType(), true, r.expect());
    }

    /** 100,000 open brackets and relatives, as the raw body (signed or not: it is not JSON the edge will read). */
    private Req deepNestingRaw() {
        int depth = 50_000 + rnd.nextInt(50_001);
        String body = switch (rnd.nextInt(4)) {
            case 0 -> "[".repeat(100_000);
            case 1 -> "{\"a\":".repeat(depth / 5);
            case 2 -> "{\"encrypt\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
            default -> "{\"encrypt\":\"x\",\"z\":" + "{\"a\":".repeat(depth / 5) + "1" + "}".repeat(depth / 5) + "}";
        };
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return rnd.nextBoolean() ? signed("deep nesting (raw body)", anyPath(), b, Set.of(400))
                : forged("deep nesting (raw body)", anyPath(), b, Set.of(400));
    }

    /** Deep nesting inside a correctly encrypted and signed event or card callback. */
    private Req deepNestingEncrypted() {
        int depth = 20_000 + rnd.nextInt(80_001);
        String deep = "[".repeat(depth) + "]".repeat(depth);
        String plain = switch (rnd.nextInt(3)) {
            case 0 -> withField(pick(messages).plain(), "event", "message", "deep", deep);
            case 1 -> withField(clickTemplate, "event", "action", "value", deep);
            default -> "[".repeat(depth);
        };
        return signed("deep nesting (encrypted, signed)", anyPath(), encryptedBody(plain), Set.of(400));
    }

    /** Strings of up to 900 KB where the edge expects short ones. */
    private Req hugeStrings() {
        int n = 100_000 + rnd.nextInt(800_000);
        return switch (rnd.nextInt(4)) {
            case 0 -> signed("huge string, signed", anyPath(), wrap("A".repeat(n - n % 4)), Set.of(400));
            case 1 -> forged("huge string, forged signature", anyPath(), wrap("A".repeat(n - n % 4)));
            case 2 -> signed("huge string field, plaintext, signed", EVENT, ("{\"x\":\"" + "\\u0000".repeat(n / 6) + "\"}")
                    .getBytes(StandardCharsets.UTF_8), Set.of(400));
            default -> signed("huge string inside an encrypted event, signed", anyPath(),
                    encryptedBody(withField(pick(messages).plain(), "header", null, "token", "t".repeat(n / 2))), Set.of(403));
        };
    }

    private static final byte[][] BAD_UTF8 = {{(byte) 0xff}, {(byte) 0xfe, (byte) 0xff}, {(byte) 0xc3, 0x28},
            {(byte) 0xe2, 0x28, (byte) 0xa1}, {(byte) 0xf0, 0x28, (byte) 0x8c, 0x28}, {(byte) 0xc0, (byte) 0xaf},
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80},
            {(byte) 0x80}, {(byte) 0xe0, (byte) 0x80, (byte) 0xaf}};

    /** Invalid UTF-8 in the body (in a string, in place of a structural character, or instead of everything). */
    private Req invalidUtf8() {
        byte[] bad = BAD_UTF8[rnd.nextInt(BAD_UTF8.length)];
        byte[] base = pick(messages).body();
        byte[] body = switch (rnd.nextInt(3)) {
            case 0 -> concat("{\"encrypt\":\"".getBytes(StandardCharsets.UTF_8), bad, "\"}".getBytes(StandardCharsets.UTF_8));
            case 1 -> {
                byte[] b = base.clone();
                int at = rnd.nextInt(b.length - bad.length);
                System.arraycopy(bad, 0, b, at, bad.length);
                yield b;
            }
            default -> concat(bad, base);
        };
        if (!readsAsJsonObject(body)) {
            return rnd.nextBoolean() ? signed("invalid UTF-8 the JSON parser refuses", anyPath(), body, Set.of(400))
                    : forged("invalid UTF-8 the JSON parser refuses", anyPath(), body, Set.of(400));
        }
        // Jackson decodes overlong forms (C0 AF is '/') and lone surrogates instead of refusing them; the signature is
        // then checked over the body decoded as UTF-8, not over the raw bytes, so even a correct signature fails (401)
        // (400 when the bytes landed in the key "encrypt")
        return rnd.nextBoolean() ? signed("invalid UTF-8 the JSON parser decodes (overlong, surrogate)", anyPath(), body, Set.of(400, 401))
                : forged("invalid UTF-8 the JSON parser decodes (overlong, surrogate)", anyPath(), body, Set.of(400, 401));
    }

    private static boolean readsAsJsonObject(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.isObject();
        } catch (Exception e) {
            return false;
        }
    }

    private static final String[] CONTENT_TYPES = {"text/plain", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz", "application/xml", "application/octet-stream", "", "application/json; charset=gbk",
            "*/*", "application/json; charset=utf-16", null};

    /**
     * Forged, unsigned or undecryptable bodies with content types other than JSON (or none): the content type is not
     * part of what the platform signs, so the edge judges the body alone and the answer is the one the same body gets
     * as JSON.
     */
    private Req wrongContentType() {
        Req base = switch (rnd.nextInt(4)) {
            case 0 -> forged("", anyPath(), pick(messages).body());
            case 1 -> signed("", anyPath(), wrap(BAD_BASE64[rnd.nextInt(BAD_BASE64.length)]), Set.of(400));
            case 2 -> new Req("", anyPath(), pick(messages).body(), Map.of(), JSON_TYPE, false, Set.of(401));
            default -> {
                // form-shaped bodies, which a servlet container might want to parse as parameters
                byte[] b = ("encrypt=" + encryptedMessage() + "&a=b").getBytes(StandardCharsets.UTF_8);
                yield signed("", anyPath(), b, Set.of(400));
            }
        };
        String type = CONTENT_TYPES[rnd.nextInt(CONTENT_TYPES.length)];
        return new Req("wrong content type", base.path(), base.body(), base.headers(), type, false, base.expect());
    }

    private Req empty() {
        byte[] body = new byte[0];
        return switch (rnd.nextInt(3)) {
            case 0 -> signed("empty body", anyPath(), body, Set.of(400));
            case 1 -> forged("empty body", anyPath(), body, Set.of(400));
            default -> new Req("empty body", anyPath(), body, Map.of(), rnd.nextBoolean() ? JSON_TYPE : null, false, Set.of(400));
        };
    }

    private static final String[] NOT_JSON = {"hello world", "", " ", "\n\t", "null", "true", "123", "\"a string\"", "{",
            "{\"schema\":", "{\"a\":1", "}{", "<xml/>", "{\"a\":1}{\"b\":2}", "\u0000\u0001\u0002", "NaN", "// comment",
            "{\"a\":1,}", "[1,2", "\uFEFF"};
    /** Not JSON, although a lenient parser (the SDK's Gson) would read them as an object: refused like any other. */
    private static final String[] LENIENT_JSON = {"{'schema':'2.0'}", "{schema:2.0}", "{'a'=1}", "{a:b;c:d}"};

    private Req nonJsonPlaintext() {
        if (rnd.nextInt(10) == 0) {
            return signed("valid ciphertext of lenient not-quite-JSON, signed", anyPath(),
                    encryptedBody(LENIENT_JSON[rnd.nextInt(LENIENT_JSON.length)]), Set.of(400));
        }
        String plain = rnd.nextInt(4) == 0 ? randomText(1 + rnd.nextInt(300)) : NOT_JSON[rnd.nextInt(NOT_JSON.length)];
        return signed("valid ciphertext of non-JSON, signed", anyPath(), encryptedBody(plain), Set.of(400));
    }

    private Req arrayPlaintext() {
        String plain = switch (rnd.nextInt(3)) {
            case 0 -> "[" + pick(messages).plain() + "]";
            case 1 -> "[]";
            default -> "[1,\"two\",{\"schema\":\"2.0\"},null]";
        };
        return signed("valid ciphertext of a JSON array, signed", anyPath(), encryptedBody(plain), Set.of(400));
    }

    /**
     * Correctly encrypted and signed events and callbacks with a field missing or of the wrong type. Message ids are
     * made up, so if any of these were stored the inbox check would see it.
     */
    private Req missingFields() {
        String mid = "om_hostile_" + Long.toHexString(rnd.nextLong());
        String msg = Events.p2p("ev-hostile-" + Long.toHexString(rnd.nextLong()), mid, "help");
        String click = clickTemplate;
        record Case(String what, String plain, Set<Integer> status) {
            Case(String what, String plain, int status) {
                this(what, plain, Set.of(status));
            }
        }
        Case c = switch (rnd.nextInt(14)) {
            case 0 -> new Case("no event_id", without(msg, "header", "event_id"), 400);
            case 1 -> new Case("no token", without(msg, "header", "token"), 403);
            case 2 -> new Case("empty token", withField(msg, "header", null, "token", ""), 403);
            case 3 -> new Case("token is an object", withField(msg, "header", null, "token", "{\"t\":\"" + BotHarness.TOKEN + "\"}"), Set.of(400, 403));
            case 4 -> new Case("header is an array", withField(msg, null, null, "header", "[]"), 400);
            case 5 -> new Case("header is a string", withField(msg, null, null, "header", "\"h\""), 400);
            case 6 -> new Case("challenge without a token", "{\"type\":\"url_verification\",\"challenge\":\"c\"}", 403);
            case 7 -> new Case("click without context", without(click, "event", "context"), 400);
            case 8 -> new Case("click without operator", without(click, "event", "operator"), 400);
            case 9 -> new Case("1.0 event without uuid", "{\"type\":\"event_callback\",\"token\":\"" + BotHarness.TOKEN
                    + "\",\"event\":{\"type\":\"approval_instance\",\"instance_code\":\"x\",\"status\":\"PENDING\"}}", 400);
            case 10 -> new Case("1.0 event with a wrong token", "{\"uuid\":\"u-" + mid + "\",\"type\":\"event_callback\",\"token\":\"x\","
                    + "\"event\":{\"type\":\"approval_instance\",\"instance_code\":\"x\",\"status\":\"PENDING\"}}", 403);
            case 11 -> new Case("event_id is an object", withField(msg, "header", null, "event_id", "{\"id\":1}"), 400);
            case 12 -> new Case("message without message_id", without(msg, "event", "message", "message_id"), 400);
            default -> new Case("message event without event", without(msg, null, "event"), 400);
        };
        return signed("missing or mistyped fields: " + c.what(), anyPath(), encryptedBody(c.plain()), c.status());
    }

    /** The exact request of an event delivered before (same bytes, same headers): acknowledged and dropped. */
    private Req replay() {
        Valid v = pick(messages);
        return new Req("replay of a delivered event", v.path(), v.body(), v.headers(), JSON_TYPE, false, Set.of(200));
    }

    /** A captured body signed again with a key that is not the bot's. */
    private Req resignedWithWrongKey() {
        Valid v = pick(messages);
        String ts = String.valueOf(System.currentTimeMillis() / 1000);
        String nonce = Long.toHexString(rnd.nextLong());
        String key = rnd.nextBoolean() ? "wrong-key-" + rnd.nextInt(1000) : BotHarness.KEY + " ";
        return new Req("captured body re-signed with a wrong key", v.path(), v.body(), Map.of("X-Lark-Request-Timestamp", ts,
                "X-Lark-Request-Nonce", nonce, "X-Lark-Signature", PlatformCrypto.sign(ts, nonce, key, v.body())),
                JSON_TYPE, false, Set.of(401));
    }

    /** A delivered event with its verification token changed, encrypted and signed with the right key. */
    private Req tokenChanged() {
        String plain = rnd.nextInt(4) == 0 ? clickTemplate : pick(messages).plain();
        String token = switch (rnd.nextInt(3)) {
            case 0 -> "stolen-" + rnd.nextInt(1000);
            case 1 -> BotHarness.TOKEN + "x";
            default -> BotHarness.TOKEN.toUpperCase();
        };
        return signed("verification token changed, re-encrypted and signed", anyPath(),
                encryptedBody(Events.withToken(plain, token)), Set.of(403));
    }

    /** Legacy (sha1, verification token) card callbacks with a signature that does not match. */
    private Req legacyBadSha1() {
        byte[] body = legacyCallback().getBytes(StandardCharsets.UTF_8);
        String ts = String.valueOf(System.currentTimeMillis() / 1000);
        String nonce = Long.toHexString(rnd.nextLong());
        String sig = switch (rnd.nextInt(5)) {
            case 0 -> hex(20);
            case 1 -> PlatformCrypto.signLegacy(ts, nonce, "wrong-token", body);
            case 2 -> PlatformCrypto.signLegacy(ts, nonce, BotHarness.TOKEN, body).toUpperCase();
            case 3 -> PlatformCrypto.sign(ts, nonce, BotHarness.KEY, body);
            default -> PlatformCrypto.signLegacy(ts + "1", nonce, BotHarness.TOKEN, body);
        };
        return new Req("legacy card callback with a bad sha1", CARD, body, Map.of("X-Lark-Request-Timestamp", ts,
                "X-Lark-Request-Nonce", nonce, "X-Lark-Signature", sig), JSON_TYPE, false, Set.of(401));
    }

    private Req legacyUnsignedOrNotACallback() {
        if (rnd.nextBoolean()) {
            return new Req("legacy card callback without a signature", CARD, legacyCallback().getBytes(StandardCharsets.UTF_8),
                    Map.of(), JSON_TYPE, false, Set.of(401));
        }
        byte[] body = "{\"open_id\":\"ou_mallory\",\"open_message_id\":\"om_x\",\"action\":\"apply\"}".getBytes(StandardCharsets.UTF_8);
        return forged("legacy-shaped body that is not a card callback", CARD, body, Set.of(400));
    }

    /** A correctly encrypted event without any of the signature headers (or with one of them missing). */
    private Req unsignedValid() {
        byte[] body = pick(messages).body();
        Map<String, String> h = new LinkedHashMap<>(pick(messages).headers());
        switch (rnd.nextInt(4)) {
            case 0 -> h.clear();
            case 1 -> h.remove("X-Lark-Signature");
            case 2 -> h.remove("X-Lark-Request-Nonce");
            default -> h.remove("X-Lark-Request-Timestamp");
        }
        return new Req("valid ciphertext without a signature", anyPath(), body, h, JSON_TYPE, false, Set.of(401));
    }

    /** The plaintext event, signed, while an encrypt key is configured. */
    private Req plaintextSigned() {
        String plain = rnd.nextInt(4) == 0 ? clickTemplate : pick(messages).plain();
        return signed("plaintext event while encryption is on, signed", EVENT, plain.getBytes(StandardCharsets.UTF_8), Set.of(400));
    }

    /** Signature headers that are empty, not hex, far too long, or carry odd timestamps. */
    private Req garbageSignatureHeaders() {
        byte[] body = pick(messages).body();
        String ts = switch (rnd.nextInt(4)) {
            case 0 -> "";
            case 1 -> "-1";
            case 2 -> "99999999999999999999";
            default -> String.valueOf(System.currentTimeMillis() / 1000);
        };
        String sig = switch (rnd.nextInt(5)) {
            case 0 -> "";
            case 1 -> "zz".repeat(32);
            case 2 -> "0".repeat(4000);
            case 3 -> hex(32).substring(0, 63);
            default -> PlatformCrypto.sign(ts, "n", BotHarness.KEY, body) + "0";
        };
        return new Req("garbage signature headers", anyPath(), body, Map.of("X-Lark-Request-Timestamp", ts,
                "X-Lark-Request-Nonce", "n", "X-Lark-Signature", sig), JSON_TYPE, false, Set.of(401));
    }

    private Req randomBytes() {
        byte[] b = new byte[1 + rnd.nextInt(4096)];
        rnd.nextBytes(b);
        if (b[0] == '{' || b[0] == '[' || b[0] == ' ') b[0] = 0;
        return rnd.nextBoolean() ? signed("random bytes", anyPath(), b, Set.of(400)) : forged("random bytes", anyPath(), b, Set.of(400));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private Req signed(String cls, String path, byte[] body, Set<Integer> expect) {
        String ts = String.valueOf(System.currentTimeMillis() / 1000);
        String nonce = Long.toHexString(rnd.nextLong());
        return new Req(cls, path, body, Map.of("X-Lark-Request-Timestamp", ts, "X-Lark-Request-Nonce", nonce,
                "X-Lark-Signature", PlatformCrypto.sign(ts, nonce, BotHarness.KEY, body)), JSON_TYPE, false, expect);
    }

    /** A syntactically fine signature that does not match: a JSON object with {@code encrypt} gets 401. */
    private Req forged(String cls, String path, byte[] body) {
        return forged(cls, path, body, Set.of(401));
    }

    private Req forged(String cls, String path, byte[] body, Set<Integer> expect) {
        return new Req(cls, path, body, Map.of("X-Lark-Request-Timestamp", String.valueOf(System.currentTimeMillis() / 1000),
                "X-Lark-Request-Nonce", Long.toHexString(rnd.nextLong()), "X-Lark-Signature", hex(32)), JSON_TYPE, false, expect);
    }

    private String anyPath() {
        return rnd.nextBoolean() ? EVENT : CARD;
    }

    private <T> T pick(List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }

    private byte[] iv() {
        byte[] iv = new byte[16];
        rnd.nextBytes(iv);
        return iv;
    }

    private String encryptedMessage() {
        return PlatformCrypto.encrypt(BotHarness.KEY, pick(messages).plain(), iv());
    }

    private byte[] encryptedBody(String plain) {
        return wrap(PlatformCrypto.encrypt(BotHarness.KEY, plain, iv()));
    }

    private static byte[] wrap(String encrypt) {
        return ("{\"encrypt\":\"" + encrypt.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
                .replace("\u0000", "\\u0000") + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private String hex(int bytes) {
        byte[] b = new byte[bytes];
        rnd.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private byte[] filler(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 'A');
        byte[] head = "{\"encrypt\":\"".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, b, 0, head.length);
        b[size - 2] = '"';
        b[size - 1] = '}';
        return b;
    }

    private String insertAt(String s, String what) {
        int at = rnd.nextInt(s.length());
        return s.substring(0, at) + what + s.substring(at);
    }

    private String randomText(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append((char) (rnd.nextInt(0x3000)));
        return "x" + b;
    }

    private String legacyCallback() {
        return "{\"open_id\":\"ou_mallory\",\"user_id\":\"u\",\"open_message_id\":\"om_legacy_" + rnd.nextInt(1000)
                + "\",\"tenant_key\":\"tenant_sandbox\",\"token\":\"c-x\",\"action\":{\"value\":{\"action\":\"apply\",\"nonce\":\""
                + rnd.nextInt(1000) + "\"},\"tag\":\"button\"}}";
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Sets {@code field} (raw JSON) on the object at {@code a}/{@code b} (either may be null for the root). */
    static String withField(String json, String a, String b, String field, String rawValue) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(json);
            ObjectNode target = root;
            if (a != null) target = (ObjectNode) target.get(a);
            if (b != null) target = (ObjectNode) target.get(b);
            String marker = "\"@@raw@@\"";
            target.put(field, "@@raw@@");
            String s = JSON.writeValueAsString(root);
            if (rawValue.startsWith("\"") || rawValue.startsWith("{") || rawValue.startsWith("[") || rawValue.matches("-?\\d+|true|false|null")) {
                return s.replace(marker, rawValue);
            }
            return s.replace(marker, JSON.writeValueAsString(rawValue));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Removes the field at the end of {@code path} (nulls in the path are skipped). */
    static String without(String json, String... path) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(json);
            ObjectNode target = root;
            List<String> p = new ArrayList<>();
            for (String s : path) if (s != null) p.add(s);
            for (int i = 0; i < p.size() - 1; i++) target = (ObjectNode) target.get(p.get(i));
            target.remove(p.get(p.size() - 1));
            return JSON.writeValueAsString(root);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether the corrupted ciphertext would decrypt (as the SDK decrypts) to a different event under the right
     * token: a new event, not a corruption, which a signed request may legitimately carry.
     */
    private static boolean becomesAnotherEvent(String originalPlain, String enc) {
        String plain;
        try {
            plain = SDK_DECRYPTOR.decrypt(enc);
        } catch (Exception e) {
            return false;
        }
        JsonNode n;
        try {
            n = JSON.readTree(plain);
        } catch (Exception e) {
            return false;
        }
        if (n == null || !n.isObject()) return false;
        Envelope got = Envelope.of(n);
        Envelope want;
        try {
            want = Envelope.of(JSON.readTree(originalPlain));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        if (!BotHarness.TOKEN.equals(got.token()) || got.eventId().isEmpty()) return false;
        return !(got.eventId().equals(want.eventId()) && got.dedupKey().equals(want.dedupKey()) && got.type().equals(want.type())
                && got.tenantKey().equals(want.tenantKey()));
    }
}
