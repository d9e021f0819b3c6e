package com.permissionbot.sandbox;

import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** The platform side of event encryption and signing, which the SDK only verifies and decrypts. */
public final class PlatformCrypto {

    private static final SecureRandom RANDOM = new SecureRandom();

    private PlatformCrypto() {
    }

    /** AES-256-CBC, key SHA-256(encryptKey), random IV prefixed, PKCS7, base64; see https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case */
    public static String encrypt(String encryptKey, String plaintext) {
        byte[] iv = new byte[16];
        RANDOM.nextBytes(iv);
        return encrypt(encryptKey, plaintext, iv);
    }

    public static String encrypt(String encryptKey, String plaintext, byte[] iv) {
        if (iv.length != 16) {
            throw new IllegalArgumentException("the IV must be 16 bytes");
        }
        try {
            byte[] key = digest("SHA-256", encryptKey.getBytes(StandardCharsets.UTF_8));
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            byte[] out = new byte[iv.length + sealed.length];
            System.arraycopy(iv, 0, out, 0, iv.length);
            System.arraycopy(sealed, 0, out, iv.length, sealed.length);
            return Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The reverse of {@link #encrypt}, as the SDKs decrypt (for tests and tools that play the bot's side). */
    public static String decrypt(String encryptKey, String encrypted) {
        try {
            byte[] all = Base64.getDecoder().decode(encrypted);
            byte[] key = digest("SHA-256", encryptKey.getBytes(StandardCharsets.UTF_8));
            Cipher cipher = Cipher.getInstance("AES/CBC/PKCS5Padding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(all, 0, 16));
            return new String(cipher.doFinal(all, 16, all.length - 16), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot decrypt: " + e.getClass().getSimpleName());
        }
    }

    /** {@code X-Lark-Signature} of events and new-style callbacks: hex(sha256(ts + nonce + encryptKey ‖ body)). */
    public static String sign(String timestamp, String nonce, String encryptKey, byte[] body) {
        return hash("SHA-256", timestamp + nonce + encryptKey, body);
    }

    /** {@code X-Lark-Signature} of legacy card callbacks: hex(sha1(ts + nonce + verificationToken ‖ body)); see https://open.feishu.cn/document/common-capabilities/message-card/add-card-interaction/message-card-security-verification */
    public static String signLegacy(String timestamp, String nonce, String verificationToken, byte[] body) {
        return hash("SHA-1", timestamp + nonce + verificationToken, body);
    }

    private static String hash(String algorithm, String prefix, byte[] body) {
        try {
            MessageDigest md = MessageDigest.getInstance(algorithm);
            md.update(prefix.getBytes(StandardCharsets.UTF_8));
            md.update(body);
            return HexFormat.of().formatHex(md.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] digest(String algorithm, byte[] input) throws GeneralSecurityException {
        return MessageDigest.getInstance(algorithm).digest(input);
    }
}
