package com.permissionbot.edge;

import com.lark.oapi.core.exception.DecryptException;
import com.lark.oapi.core.request.EventReq;
import com.lark.oapi.core.utils.Jsons;
import com.lark.oapi.event.EventDispatcher;
import com.lark.oapi.event.model.Fuzzy;

import java.nio.charset.StandardCharsets;

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

    /**
     * The SDK's parseReq without its INFO log line, whose arguments (all headers as JSON and the whole body) it
     * builds on every event even when the logger is off (protocol §0).
     */
    @Override
    public String parseReq(EventReq req) {
        String body = new String(req.getBody(), StandardCharsets.UTF_8);
        if (getEncryptKey() == null || getEncryptKey().isEmpty()) return body.trim();
        Fuzzy fuzzy = Jsons.DEFAULT.fromJson(body, Fuzzy.class);
        if (fuzzy == null || fuzzy.getEncrypt() == null || fuzzy.getEncrypt().isEmpty()) {
            throw new DecryptException("The result of event decryption failed");
        }
        return fuzzy.getEncrypt().trim();
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
