package io.camelrsync.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The daemon login response (authenticate.c): base64, unpadded, of digest(password || challenge). Digests are
 * listed strongest first, as both sides send them; md5 is what a peer that sends no list gets.
 */
public enum AuthDigest {
    SHA512("sha512", "SHA-512"),
    SHA256("sha256", "SHA-256"),
    SHA1("sha1", "SHA-1"),
    MD5("md5", "MD5");

    private final String wireName;
    private final String jdkName;

    AuthDigest(String wireName, String jdkName) {
        this.wireName = wireName;
        this.jdkName = jdkName;
    }

    public String wireName() {
        return wireName;
    }

    /** Our list as sent in a greeting. */
    public static String wireList() {
        StringBuilder sb = new StringBuilder();
        for (AuthDigest d : values()) {
            sb.append(sb.length() == 0 ? "" : " ").append(d.wireName);
        }
        return sb.toString();
    }

    public static Optional<AuthDigest> byName(String name) {
        for (AuthDigest d : values()) {
            if (d.wireName.equalsIgnoreCase(name)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** A client takes its strongest digest the server also lists (md5 when the server sent none). */
    public static Optional<AuthDigest> forClient(List<String> serverList) {
        if (serverList.isEmpty()) {
            return Optional.of(MD5);
        }
        for (AuthDigest d : values()) {
            if (serverList.contains(d.wireName)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** A server takes the first entry of the client's list it supports (md5 when the client sent none). */
    public static Optional<AuthDigest> forServer(List<String> clientList) {
        if (clientList.isEmpty()) {
            return Optional.of(MD5);
        }
        for (String name : clientList) {
            Optional<AuthDigest> d = byName(name);
            if (d.isPresent()) {
                return d;
            }
        }
        return Optional.empty();
    }

    public String response(String password, String challenge) {
        try {
            MessageDigest md = MessageDigest.getInstance(jdkName);
            md.update(password.getBytes(StandardCharsets.UTF_8));
            md.update(challenge.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().withoutPadding().encodeToString(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK provides " + jdkName, e);
        }
    }

    /** Compares a login response without leaking where it differs. */
    public boolean verify(String password, String challenge, String response) {
        return MessageDigest.isEqual(response(password, challenge).getBytes(StandardCharsets.US_ASCII),
                response.getBytes(StandardCharsets.US_ASCII));
    }
}
