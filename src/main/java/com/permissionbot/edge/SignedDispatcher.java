package com.permissionbot.edge;

import com.lark.oapi.event.EventDispatcher;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The SDK's {@link EventDispatcher} with its own signature computation exposed, so the route can reject a forged
 * request with one SHA-256 before the SDK decrypts and parses it (protocol §0, §1.5).
 */
final class SignedDispatcher extends EventDispatcher {
    SignedDispatcher(EventDispatcher.Builder builder) {
        super(builder);
    }

    /** https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case */
    boolean signatureMatches(String timestamp, String nonce, String body, String signature) {
        try {
            String expected = calculateSignature(timestamp, nonce, getEncryptKey(), body);
            return MessageDigest.isEqual(expected.getBytes(), signature.getBytes());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
