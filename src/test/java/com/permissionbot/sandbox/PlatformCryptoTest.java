package com.permissionbot.sandbox;

import com.lark.oapi.core.utils.Decryptor;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class PlatformCryptoTest {

    private static final String OFFICIAL = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=";
    private static final String CHALLENGE = "{\"challenge\":\"ajls384kdjx\",\"token\":\"vtoken\",\"type\":\"url_verification\"}";
    private static final String CHALLENGE_ENCRYPTED = "AAECAwQFBgcICQoLDA0ODw9mLTIAZS9jAmGTQ1wAhHqfLkNshLQSfERM/X4W4Q78vWArtDKmm0nh62baHAwykh8u1iJ5hkGsTB0Wff8ltsknouW4KfOaz0TIlW/xzJBB";

    private static byte[] counterIv() {
        byte[] iv = new byte[16];
        for (int i = 0; i < 16; i++) {
            iv[i] = (byte) i;
        }
        return iv;
    }

    @Test
    void encrypting_with_the_official_vectors_iv_reproduces_the_official_ciphertext() throws Exception {
        byte[] iv = Arrays.copyOf(Base64.getDecoder().decode(OFFICIAL), 16);
        assertEquals(OFFICIAL, PlatformCrypto.encrypt("test key", "hello world", iv));
        assertEquals("hello world", new Decryptor("test key").decrypt(OFFICIAL));
    }

    @Test
    void encrypting_the_challenge_with_a_counting_iv_matches_the_computed_vector() throws Exception {
        assertEquals(CHALLENGE_ENCRYPTED, PlatformCrypto.encrypt("test key", CHALLENGE, counterIv()));
        assertEquals(CHALLENGE, new Decryptor("test key").decrypt(CHALLENGE_ENCRYPTED));
    }

    @Test
    void random_iv_ciphertexts_differ_and_the_sdk_decrypts_both() throws Exception {
        String a = PlatformCrypto.encrypt("another key", CHALLENGE);
        String b = PlatformCrypto.encrypt("another key", CHALLENGE);
        assertNotEquals(a, b);
        assertEquals(CHALLENGE, new Decryptor("another key").decrypt(a));
        assertEquals(CHALLENGE, new Decryptor("another key").decrypt(b));
    }

    @Test
    void event_signature_matches_the_computed_vector() {
        byte[] body = ("{\"encrypt\":\"" + CHALLENGE_ENCRYPTED + "\"}").getBytes(StandardCharsets.UTF_8);
        assertEquals("a4bb9ed8c2e4b307239a917091472438a4d0b7df5e90953d02bd496c4dba9a31",
                PlatformCrypto.sign("1700000000", "abcdef", "test key", body));
    }

    @Test
    void legacy_card_signature_matches_the_computed_vector() {
        byte[] body = "{\"open_id\":\"ou_x\",\"open_message_id\":\"om_x\",\"token\":\"c-x\",\"action\":{\"value\":{\"k\":\"v\"},\"tag\":\"button\"}}"
                .getBytes(StandardCharsets.UTF_8);
        assertEquals("a27ce2035907bbc25a59ec6d64a496e8ae39c5ae",
                PlatformCrypto.signLegacy("1700000000", "abcdef", "vtoken", body));
    }
}
