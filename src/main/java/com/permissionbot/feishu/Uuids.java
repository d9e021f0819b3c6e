package com.permissionbot.feishu;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Request uuids for sends and replies: the platform carries out at most one request per uuid within an hour
 * (https://open.feishu.cn/document/server-docs/im-v1/message/create), and takes at most 50 characters.
 */
public final class Uuids {
    private Uuids() {}

    /** The same purpose and id always give the same uuid. */
    public static String of(String purpose, String id) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest((purpose + ":" + id).getBytes(StandardCharsets.UTF_8));
            return "pb-" + HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
