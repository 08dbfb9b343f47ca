package io.camelrsync.client;

import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.protocol.Compression;
import java.util.List;

/**
 * What our client asks a daemon to do (options.c server_options' inputs): our options as the settings of
 * {@link ClientArgs}, the one codec that writes them as arguments here and parses them in a daemon (ours, and
 * our pulling client's own receiver).
 */
final class ServerArgs {
    private ServerArgs() {
    }

    /**
     * {@code sender} asks the daemon to send (a pull); {@code everyNamedFile} adds -I (a change set: every named
     * file transferred whatever its size and mtime say); {@code moduleArgs} are the module paths (several only
     * for a pull).
     */
    static ClientArgs of(PushOptions options, boolean sender, boolean everyNamedFile, List<String> moduleArgs) {
        ClientArgs.Builder b = new ClientArgs.Builder();
        b.sender = sender;
        b.verbose = Math.min(options.verbose, 1);
        b.backup = options.makesBackups();
        b.dryRun = options.dryRun;
        b.checksum = options.checksum;
        b.links = options.links;
        b.hardLinks = options.hardLinks;
        b.owner = options.owner;
        b.group = options.group;
        b.devices = options.devices;
        b.specials = options.specials;
        b.times = options.times;
        b.perms = options.perms;
        b.recursive = options.recursive;
        b.ignoreTimes = everyNamedFile;
        b.fuzzy = options.fuzzy ? 1 : 0;
        Compression forced = Compression.chosen(options.compress, options.compressChoice);
        b.compress = options.compress;
        b.compressChoice = forced == null ? null : forced.wireName();
        b.compressLevel = options.compressLevel;
        // capabilities as the rsync release of each protocol sent them; never 'i' (no incremental recursion)
        b.caps = switch (options.protocol) {
            case 30 -> "L";
            case 31 -> "LfxC";
            default -> "LfxCIvu";
        };
        b.delete = options.delete;
        if (options.linkDest != null) {
            b.altDest = "link-dest";
            b.altDirs.add(options.linkDest);
        }
        b.numericIds = options.numericIds;
        b.timeout = options.timeoutSeconds;
        b.bwlimit = options.bwlimit;
        b.backupDir = options.backupDirSent();
        String suffix = options.effectiveSuffix();
        b.suffix = suffix.equals(b.backupDir != null ? "" : "~") ? null : suffix; // only one that is not the default
        b.paths.addAll(moduleArgs);
        return b.build();
    }
}
