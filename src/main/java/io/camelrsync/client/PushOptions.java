package io.camelrsync.client;

import io.camelrsync.protocol.Compression;
import io.camelrsync.filter.FilterRules;
import java.nio.file.Path;

/** What a push preserves and how it talks to the daemon; the defaults are those of {@code rsync -a}. */
public final class PushOptions {
    public boolean recursive = true;
    public boolean links = true;
    public boolean perms = true;
    public boolean times = true;
    public boolean group = true;
    public boolean owner = true;
    public boolean devices = true;
    public boolean specials = true;
    public boolean hardLinks;
    public boolean delete;
    public boolean dryRun;
    public boolean numericIds;
    public int verbose;
    public FilterRules filters = FilterRules.empty();
    /** Login name; null means $USER, as rsync does. */
    public String user;
    public Path passwordFile;
    /** Password given directly (the component's option); RSYNC_PASSWORD is used when neither is set. */
    public String password;
    /** Seconds without progress before giving up (rsync's --timeout); 0 means our safety default. */
    public int timeoutSeconds;
    public int connectTimeoutSeconds = 30;
    /** rsync's --bwlimit in KiB per second: what this side writes, and (sent along) what the daemon writes; 0: none. */
    public int bwlimit;
    /** TLS to the daemon, as rsync-ssl speaks it (port 874 by default); the certificate is verified. */
    public boolean tls;
    /** PEM file of the CA certificates to trust for TLS (rsync-ssl's RSYNC_SSL_CA_CERT); null: the JDK's. */
    public Path sslCaCert;
    /** A TLS context of the app's own (the component's sslContextParameters); wins over sslCaCert. */
    public javax.net.ssl.SSLContext sslContext;
    /** -c: skip by whole-file checksum instead of size and mtime (the sender lists each file's checksum). */
    public boolean checksum;
    /** xxh128, xxh3, xxh64, md5 or auto. */
    public String checksumChoice = "auto";
    /** -z: compress file data, with the compressor negotiated (zstd, lz4, zlibx, zlib) unless one is chosen. */
    public boolean compress;
    /** --compress-choice (--zc): zstd, lz4, zlibx, zlib or none; null: negotiated (zlib before protocol 32). */
    public String compressChoice;
    /** --compress-level (--zl), or {@link Compression#LEVEL_NOT_SPECIFIED}. */
    public int compressLevel = Compression.LEVEL_NOT_SPECIFIED;
    /** Highest protocol we offer (30..32), so old-server behaviour can be reproduced. */
    public int protocol = 32;
    /** rsync's --link-dest: a directory of the module (absolute: from the module's root) holding basis files. */
    public String linkDest;
    /**
     * Where this session's transfer root lies in the tree the filters were written for ("." or null: the same),
     * so that a session that sends a part of it excludes what the whole would; such a session sends no rules.
     */
    public String filterRoot;
    /** rsync's --fuzzy: a file missing on the daemon takes a similar file of its directory as basis. */
    public boolean fuzzy;
    /**
     * Whether a change set's moved paths are sent first with their old copy as basis ({@link MoveSessions}); off
     * once a daemon refused the options that needs.
     */
    public volatile boolean sendMovesWithBasis = true;
    /** -b, --backup: the receiver keeps what it replaces or deletes; implied by {@link #backupDir}. */
    public boolean backup;
    /**
     * --backup-dir: where the receiver keeps them, under their paths; a relative one is relative to the
     * destination, and on a daemon an absolute one starts at the module's root.
     */
    public String backupDir;
    /** --suffix: appended to each backup's name; null for rsync's default ("~", or nothing with a backupDir). */
    public String suffix;

    /** Whether the receiver is asked to keep what it replaces or deletes (options.c: --backup-dir implies -b). */
    public boolean makesBackups() {
        return backup || backupDir != null;
    }

    /** The backup dir as rsync's client sends it: leading "./" dropped, and "." meaning none (options.c). */
    public String backupDirSent() {
        if (backupDir == null) {
            return null;
        }
        String d = backupDir;
        while (d.startsWith("./")) {
            d = d.substring(2);
        }
        return d.isEmpty() || d.equals(".") ? null : d;
    }

    /** The suffix in effect: the given one, else "" with a backup dir and "~" without (options.c). */
    public String effectiveSuffix() {
        return suffix != null ? suffix : backupDir != null ? "" : "~";
    }

    /** options.c parse_arguments' checks of --suffix, with its wording. */
    public void checkBackupOptions() {
        String s = effectiveSuffix();
        if (s.indexOf('/') >= 0) {
            throw new IllegalArgumentException("--suffix cannot contain slashes: " + s);
        }
        if (s.isEmpty() && backupDirSent() == null) {
            throw new IllegalArgumentException("--suffix cannot be empty " + (backupDir != null
                    ? "when --backup-dir is the same as the dest dir" : "without a --backup-dir"));
        }
    }

    /** The deadline for any single wait on the network when the user set no --timeout. */
    public static final int DEFAULT_IO_TIMEOUT_SECONDS = 600;

    public long ioTimeoutMillis() {
        return (timeoutSeconds > 0 ? timeoutSeconds : DEFAULT_IO_TIMEOUT_SECONDS) * 1000L;
    }

    /** A copy, for a session that changes some options. */
    public PushOptions copy() {
        PushOptions o = new PushOptions();
        o.recursive = recursive;
        o.links = links;
        o.perms = perms;
        o.times = times;
        o.group = group;
        o.owner = owner;
        o.devices = devices;
        o.specials = specials;
        o.hardLinks = hardLinks;
        o.delete = delete;
        o.dryRun = dryRun;
        o.numericIds = numericIds;
        o.verbose = verbose;
        o.filters = filters;
        o.user = user;
        o.passwordFile = passwordFile;
        o.password = password;
        o.timeoutSeconds = timeoutSeconds;
        o.connectTimeoutSeconds = connectTimeoutSeconds;
        o.checksumChoice = checksumChoice;
        o.checksum = checksum;
        o.compress = compress;
        o.compressChoice = compressChoice;
        o.compressLevel = compressLevel;
        o.bwlimit = bwlimit;
        o.tls = tls;
        o.sslCaCert = sslCaCert;
        o.sslContext = sslContext;
        o.protocol = protocol;
        o.backup = backup;
        o.backupDir = backupDir;
        o.suffix = suffix;
        o.linkDest = linkDest;
        o.filterRoot = filterRoot;
        o.fuzzy = fuzzy;
        o.sendMovesWithBasis = sendMovesWithBasis;
        return o;
    }

    /** Everything -a implies off: callers switch on what they need. */
    public static PushOptions none() {
        PushOptions o = new PushOptions();
        o.recursive = o.links = o.perms = o.times = o.group = o.owner = o.devices = o.specials = false;
        return o;
    }
}
