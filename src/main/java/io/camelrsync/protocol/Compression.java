package io.camelrsync.protocol;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The compressors of -z (compat.c valid_compressions_items, strongest first; token.c init_compression_level for
 * the levels). zlib is the only one before protocol 32's negotiation; zlibx is zlib without matched data in the
 * window; zstd and lz4 are what rsync 3.2+ negotiates first.
 */
public enum Compression {
    /** Capped at level 20 (zstd's own ceiling is 22): 21 and 22 need a 64-128 MiB window, more than we decode. */
    ZSTD("zstd", -131072, 20, 3),
    LZ4("lz4", 0, 0, 0),
    ZLIBX("zlibx", 1, 9, 6),
    ZLIB("zlib", 1, 9, 6),
    NONE("none", 0, 0, 0);

    /** The level rsync uses when none was asked (options.c CLVL_NOT_SPECIFIED). */
    public static final int LEVEL_NOT_SPECIFIED = Integer.MIN_VALUE;

    private final String wireName;
    private final int minLevel;
    private final int maxLevel;
    private final int defaultLevel;

    Compression(String wireName, int minLevel, int maxLevel, int defaultLevel) {
        this.wireName = wireName;
        this.minLevel = minLevel;
        this.maxLevel = maxLevel;
        this.defaultLevel = defaultLevel;
    }

    public String wireName() {
        return wireName;
    }

    /** Every compressor we have, strongest first, as negotiate_the_strings lists them (without "none"). */
    public static List<Compression> offered() {
        return List.of(ZSTD, LZ4, ZLIBX, ZLIB);
    }

    /** The names of {@link #offered()}, space-separated, as a negotiation vstring. */
    public static String offeredList() {
        return String.join(" ", offered().stream().map(Compression::wireName).toList());
    }

    /**
     * The compressor a user's -z and --compress-choice name, sent as an argument rather than negotiated; null when
     * it is to be negotiated ("auto", or -z alone) or compression is off. An unknown name is {@link #NONE}: the
     * parsers refuse it first.
     */
    public static Compression chosen(boolean compress, String choice) {
        if (!compress || choice == null || choice.equalsIgnoreCase("auto")) {
            return null;
        }
        return byName(choice).orElse(NONE);
    }

    public static Optional<Compression> byName(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(c -> c.wireName.equals(n)).findFirst();
    }

    /**
     * token.c init_compression_level: the level this compressor runs at when {@code requested} was asked
     * ({@link #LEVEL_NOT_SPECIFIED} for none), clamped to its range; -1 when the level turns compression off
     * (zlib's 0), as rsync then sends plain tokens.
     */
    public int effectiveLevel(int requested) {
        if (this == NONE) {
            return -1;
        }
        if (requested == LEVEL_NOT_SPECIFIED || (this == ZSTD && requested == 0) || (this != ZSTD && requested == -1)) {
            return defaultLevel; // zlib's Z_DEFAULT_COMPRESSION is -1, zstd's default is 0
        }
        if ((this == ZLIB || this == ZLIBX) && requested == 0) {
            return -1;
        }
        return Math.max(minLevel, Math.min(maxLevel, requested));
    }
}
