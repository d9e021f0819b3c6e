package com.permissionbot.edge;

import com.lark.oapi.card.CardActionHandler;
import com.lark.oapi.core.utils.Decryptor;
import com.lark.oapi.event.EventDispatcher;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The SDK's own crypto for webhook requests, used directly instead of its whole dispatcher (oapi-sdk-java
 * {@code event/EventDispatcher.java} decrypts and parses before it checks the signature): AES-256-CBC decryption and
 * both signature schemes.
 */
final class SdkCrypto {
    private final Decryptor decryptor;
    private final Events events;
    private final Cards cards;
    private final String encryptKey;
    private final String token;

    SdkCrypto(String verificationToken, String encryptKey) {
        this.token = verificationToken;
        this.encryptKey = encryptKey;
        this.decryptor = encryptKey.isEmpty() ? null : new Decryptor(encryptKey);
        this.events = new Events(EventDispatcher.newBuilder(verificationToken, encryptKey));
        this.cards = new Cards(CardActionHandler.newBuilder(verificationToken, encryptKey, c -> null));
    }

    /** https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case */
    String decrypt(String encrypted) {
        return decryptor.decrypt(encrypted);
    }

    /** SHA-256 over timestamp + nonce + encrypt key + the raw body (events and new-style callbacks). */
    boolean eventSigned(String timestamp, String nonce, byte[] body, String signature) {
        return same(events.sign(timestamp, nonce, encryptKey, body), signature);
    }

    /**
     * SHA-1 over timestamp + nonce + verification token + the raw body (the legacy card callback):
     * https://open.feishu.cn/document/common-capabilities/message-card/add-card-interaction/message-card-security-verification
     */
    boolean legacyCardSigned(String timestamp, String nonce, byte[] body, String signature) {
        return same(cards.sign(timestamp, nonce, token, body), signature);
    }

    private static boolean same(String expected, String got) {
        return got != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), got.getBytes(StandardCharsets.UTF_8));
    }

    /** The dispatcher, for its signature computation only. */
    private static final class Events extends EventDispatcher {
        Events(EventDispatcher.Builder b) {
            super(b);
        }

        String sign(String ts, String nonce, String key, byte[] body) {
            try {
                return calculateSignature(ts, nonce, key, new String(body, StandardCharsets.UTF_8));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** The legacy card handler, for its signature computation only. */
    private static final class Cards extends CardActionHandler {
        Cards(CardActionHandler.Builder b) {
            super(b);
        }

        String sign(String ts, String nonce, String token, byte[] body) {
            try {
                return calculateSignature(ts, nonce, token, new String(body, StandardCharsets.UTF_8));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
