package io.camelrsync.checksum;

import com.dynatrace.hash4j.hashing.HashStream128;
import com.dynatrace.hash4j.hashing.HashStream64;
import com.dynatrace.hash4j.hashing.HashValue128;
import com.dynatrace.hash4j.hashing.Hasher128;
import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import net.jpountz.xxhash.StreamingXXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The strong checksums rsync negotiates, strongest first as rsync lists them (checksum.c valid_checksums).
 * Block sums are seeded (checksum.c get_checksum2); whole-file sums are not (file_checksum).
 */
public enum ChecksumAlgorithm {
    XXH128("xxh128", 16),
    XXH3("xxh3", 8),
    XXH64("xxh64", 8),
    MD5("md5", 16);

    private static final XXHashFactory XX = XXHashFactory.fastestJavaInstance();

    private final String wireName;
    private final int digestLength;

    ChecksumAlgorithm(String wireName, int digestLength) {
        this.wireName = wireName;
        this.digestLength = digestLength;
    }

    public String wireName() {
        return wireName;
    }

    public int digestLength() {
        return digestLength;
    }

    public static Optional<ChecksumAlgorithm> byName(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(a -> a.wireName.equals(n)).findFirst();
    }

    /** Parses a user's checksum choice ("xxh128", "md5", "auto"); unknown names are a usage error. */
    public static List<ChecksumAlgorithm> choices(String choice) {
        if (choice == null || choice.isBlank() || choice.equalsIgnoreCase("auto")) {
            return List.of(values());
        }
        return List.of(byName(choice).orElseThrow(() -> new IllegalArgumentException(
                "unknown checksum name: " + choice + " (choose from xxh128, xxh3, xxh64, md5, auto)")));
    }

    /** A reusable per-block summer bound to a session's seed and seed order. */
    public BlockSummer blockSummer(int seed, boolean seedFirst) {
        return switch (this) {
            // the seeded hasher is made once per summer: making it derives a secret from the seed, which cost
            // as much as hashing a 16 KiB block (a tenth of the generator's time summing a 256 MiB basis)
            case XXH128 -> {
                Hasher128 hasher = Hashing.xxh3_128(seed & 0xffffffffL);
                yield (buf, off, len, out) -> {
                    HashValue128 h = hasher.hashBytesTo128Bits(buf, off, len);
                    putLong(out, 0, h.getLeastSignificantBits());
                    putLong(out, 8, h.getMostSignificantBits());
                };
            }
            case XXH3 -> {
                Hasher64 hasher = Hashing.xxh3_64(seed & 0xffffffffL);
                yield (buf, off, len, out) -> putLong(out, 0, hasher.hashBytesToLong(buf, off, len));
            }
            case XXH64 -> (buf, off, len, out) ->
                    putLong(out, 0, XX.hash64().hash(buf, off, len, seed & 0xffffffffL));
            case MD5 -> new Md5BlockSummer(seed, seedFirst);
        };
    }

    /** A streaming whole-file digest. */
    public FileDigest fileDigest() {
        return switch (this) {
            case XXH128 -> new FileDigest() {
                private final HashStream128 s = Hashing.xxh3_128().hashStream();

                @Override
                public void update(byte[] buf, int off, int len) {
                    s.putBytes(buf, off, len);
                }

                @Override
                public byte[] digest() {
                    HashValue128 h = s.get();
                    byte[] out = new byte[16];
                    putLong(out, 0, h.getLeastSignificantBits());
                    putLong(out, 8, h.getMostSignificantBits());
                    return out;
                }
            };
            case XXH3 -> new FileDigest() {
                private final HashStream64 s = Hashing.xxh3_64().hashStream();

                @Override
                public void update(byte[] buf, int off, int len) {
                    s.putBytes(buf, off, len);
                }

                @Override
                public byte[] digest() {
                    byte[] out = new byte[8];
                    putLong(out, 0, s.getAsLong());
                    return out;
                }
            };
            case XXH64 -> new FileDigest() {
                private final StreamingXXHash64 s = XX.newStreamingHash64(0);

                @Override
                public void update(byte[] buf, int off, int len) {
                    s.update(buf, off, len);
                }

                @Override
                public byte[] digest() {
                    byte[] out = new byte[8];
                    putLong(out, 0, s.getValue());
                    return out;
                }
            };
            case MD5 -> new FileDigest() {
                private final MessageDigest md = md5();

                @Override
                public void update(byte[] buf, int off, int len) {
                    md.update(buf, off, len);
                }

                @Override
                public byte[] digest() {
                    return md.digest();
                }
            };
        };
    }

    static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides MD5", e);
        }
    }

    static void putLong(byte[] out, int at, long v) {
        for (int i = 0; i < 8; i++) {
            out[at + i] = (byte) (v >>> (8 * i));
        }
    }

    /** Computes the full-length strong sum of one block into {@code out}. */
    @FunctionalInterface
    public interface BlockSummer {
        void sum(byte[] buf, int off, int len, byte[] out);
    }

    /** A streaming whole-file checksum. */
    public interface FileDigest {
        void update(byte[] buf, int off, int len);

        byte[] digest();
    }

    /** MD5 with the seed before the block (CF_CHKSUM_SEED_FIX) or after it (protocol 30 peers). */
    private static final class Md5BlockSummer implements BlockSummer {
        private final MessageDigest md = md5();
        private final byte[] seedBytes;
        private final boolean seedFirst;

        Md5BlockSummer(int seed, boolean seedFirst) {
            this.seedBytes = seed == 0 ? null
                    : new byte[] {(byte) seed, (byte) (seed >> 8), (byte) (seed >> 16), (byte) (seed >> 24)};
            this.seedFirst = seedFirst;
        }

        @Override
        public void sum(byte[] buf, int off, int len, byte[] out) {
            if (seedBytes != null && seedFirst) {
                md.update(seedBytes);
            }
            md.update(buf, off, len);
            if (seedBytes != null && !seedFirst) {
                md.update(seedBytes);
            }
            try {
                md.digest(out, 0, 16);
            } catch (java.security.DigestException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
