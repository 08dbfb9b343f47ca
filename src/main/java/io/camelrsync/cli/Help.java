package io.camelrsync.cli;

import java.util.List;

/**
 * What {@code camel-rsync COMMAND --help} prints: usage, every option the command takes (rsync's own names and
 * texts where it has them), examples. docs/camel-rsync.1 lists the same options; a test holds the two, and the
 * parsers, together.
 */
final class Help {
    static final List<String> COMMANDS = List.of("push", "pull", "mirror", "daemon");

    /** One option as help shows it: its spellings (with the value's name) and what it does. */
    record Option(String flags, String text) {
        /** Each spelling without its value: "-a, --archive" gives "-a" and "--archive". */
        List<String> names() {
            return java.util.Arrays.stream(flags.split(",\\s*")).map(f -> f.split("[= ]")[0]).toList();
        }
    }

    /** rsync's options that a push takes (and a mirror, which pushes). */
    static final List<Option> PUSH = List.of(
            new Option("-v, --verbose", "increase verbosity: names of the files sent and deleted"),
            new Option("-q, --quiet", "suppress non-error messages"),
            new Option("-a, --archive", "archive mode: -rlptgoD (no -H)"),
            new Option("-r, --recursive", "recurse into directories"),
            new Option("-l, --links", "copy symlinks as symlinks"),
            new Option("-p, --perms", "preserve permissions"),
            new Option("-t, --times", "preserve modification times"),
            new Option("-g, --group", "preserve group"),
            new Option("-o, --owner", "preserve owner (the daemon must run as root)"),
            new Option("-D", "same as --devices --specials"),
            new Option("--devices", "preserve device files"),
            new Option("--specials", "preserve special files (FIFOs, sockets)"),
            new Option("-H, --hard-links", "preserve hard links"),
            new Option("-n, --dry-run", "perform a trial run with no changes made"),
            new Option("--delete, --del, --delete-during", "delete extraneous files from the destination"),
            new Option("-b, --backup", "make backups of what is overwritten or deleted (see --suffix, --backup-dir)"),
            new Option("--backup-dir=DIR", "make backups into hierarchy based in DIR (on the daemon, in the module)"),
            new Option("--suffix=SUFFIX", "backup suffix (default ~ without --backup-dir)"),
            new Option("--numeric-ids", "don't map uid/gid values by user/group name"),
            new Option("--exclude=PATTERN", "exclude files matching PATTERN"),
            new Option("--exclude-from=FILE", "read exclude patterns from FILE"),
            new Option("--include=PATTERN", "don't exclude files matching PATTERN"),
            new Option("--include-from=FILE", "read include patterns from FILE"),
            new Option("--filter=RULE", "add a file-filtering RULE"),
            new Option("--checksum-choice=STR, --cc=STR", "choose the checksum: xxh128, xxh3, xxh64 or md5"),
            new Option("-c, --checksum", "skip based on checksum, not mod-time & size"),
            new Option("--no-checksum", "turn -c off"),
            new Option("-z, --compress", "compress file data during the transfer (negotiated: zstd, lz4, zlibx,"
                    + " zlib; zlib before protocol 32)"),
            new Option("--compress-choice=STR, --zc=STR", "choose the compression: zstd, lz4, zlibx, zlib, none"),
            new Option("--compress-level=NUM, --zl=NUM", "explicitly set compression level (zlib 1-9, zstd"
                    + " -131072..20)"),
            new Option("--old-compress, --new-compress", "same as --zc=zlib and --zc=zlibx"),
            new Option("--no-compress", "turn -z off"),
            new Option("--port=PORT", "the daemon's port (default 873)"),
            new Option("--password-file=FILE", "read the daemon-access password from FILE"),
            new Option("--timeout=SECONDS", "set I/O timeout in seconds"),
            new Option("--contimeout=SECONDS", "set daemon connection timeout in seconds"),
            new Option("--bwlimit=RATE", "limit socket I/O bandwidth (KiB/s, or 512b, 100K, 1.5M; the daemon too)"),
            new Option("--no-bwlimit", "no bandwidth limit (the default)"),
            new Option("--ssl", "TLS to the daemon, as rsync-ssl (port 874; also the rsyncs://host/module form)"),
            new Option("--ssl-ca-cert=FILE", "trust the CA certificates of this PEM file for --ssl (default: the"
                    + " JDK's)"),
            new Option("--protocol=NUM", "force an older protocol version (30 or 31; default 32)"),
            new Option("-P", "same as --progress (rsync's --partial is always on: temporary files)"),
            new Option("--progress", "show progress during transfer"),
            new Option("--stats", "give some file-transfer stats"),
            new Option("-h, --human-readable", "accepted; numbers are printed with rsync's digit grouping"));

    /** What only push takes. */
    static final List<Option> PUSH_ONLY = List.of(
            new Option("--files-from=FILE", "push only the paths listed in FILE, one a line (a change set): each is"
                    + " sent whatever its size and mtime say, a path that no longer exists is deleted on the"
                    + " daemon, \"dir/\" sends a whole tree, \"./\" the whole source with rsync's quick check"));

    /** What only mirror takes. */
    static final List<Option> MIRROR_ONLY = List.of(
            new Option("--config=FILE", "read the mirror's settings from FILE (the keys of application.properties,"
                    + " camel.* included; several syncs and relays: mirror.syncs[NAME].*); the environment"
                    + " (MIRROR_QUIET_MS), -D and the command line win over it"),
            new Option("--delay=SECONDS", "quiet time before a batch is pushed (default 0.01)"),
            new Option("--verify-interval=TIME", "how often each DEST gets a full sync that logs what was out of date:"
                    + " seconds, or 30m, 1h, 1d (default 1h; 0: never)"));

    static final List<Option> DAEMON = List.of(
            new Option("--config=FILE", "the rsyncd.conf to serve (default /etc/rsyncd.conf)"),
            new Option("--port=PORT", "listen on PORT (default: the config's port, else 873; 874 with TLS)"),
            new Option("--address=ADDRESS", "bind to ADDRESS (default: the config's address, else all)"),
            new Option("--ssl-cert=FILE", "TLS certificate chain (PEM), for rsync-ssl clients; needs --ssl-key"),
            new Option("--ssl-key=FILE", "TLS private key (PEM, PKCS#8)"),
            new Option("--no-detach", "stay in the foreground (camel-rsync's daemon always does)"),
            new Option("--daemon", "accepted for rsync's command line; ignored"));

    static final List<Option> COMMON = List.of(
            new Option("--help", "show this help (-h too, when it is the only argument)"),
            new Option("-V, --version", "print the version"));

    private Help() {
    }

    static String of(String command) {
        return switch (command) {
            case "push" -> text("""
                    usage: camel-rsync push [OPTIONS] SRC [USER@]HOST::MODULE[/PATH]
                           camel-rsync push [OPTIONS] SRC rsync://[USER@]HOST[:PORT]/MODULE[/PATH]

                    Sends SRC to an rsync daemon (stock rsync 3.0 or later, or camel-rsync daemon) over the rsync
                    protocol, as `rsync SRC DEST` does. A trailing slash on SRC sends its contents.
                    """, List.of(PUSH, PUSH_ONLY, COMMON), """
                    Examples:
                      camel-rsync push -avH --delete /srv/app/ backup@mirror1::app --password-file=/etc/app.pw
                      camel-rsync push -a --files-from=changed.txt /srv/app/ rsync://mirror1/app/
                    Exit codes are rsync's (0 ok, 5 auth failed, 10 socket I/O, 23 partial, 24 vanished, ...).
                    """);
            case "pull" -> text("""
                    usage: camel-rsync pull [OPTIONS] [USER@]HOST::MODULE[/PATH] [...] DEST
                           camel-rsync pull [OPTIONS] rsync://[USER@]HOST[:PORT]/MODULE[/PATH] [...] DEST

                    Fetches from an rsync daemon (stock rsync 3.0 or later, or camel-rsync daemon) into the local
                    directory DEST, as `rsync SRC DEST` does: a restore, or a backup server's nightly pull. A
                    trailing slash on SRC fetches its contents; several SRCs (paths of one module) come in one
                    session; DEST is made when missing. Writes stay inside DEST, whatever the daemon sends.
                    """, List.of(PUSH, COMMON), """
                    Examples:
                      camel-rsync pull -aH --delete backup@mirror1::app/ /srv/app/ --password-file=/etc/app.pw
                      camel-rsync pull -a rsync://mirror1/app/etc/app.conf /srv/app/etc/
                    Exit codes are rsync's (0 ok, 5 auth failed, 10 socket I/O, 23 partial, 24 vanished, ...).
                    """);
            case "mirror" -> text("""
                    usage: camel-rsync mirror [OPTIONS] SRC DEST [DEST...]
                           camel-rsync mirror --config=FILE [OPTIONS] [SRC DEST...]
                           camel-rsync mirror            (the embedded default: ./data/source to our own daemon)

                    Mirrors SRC live to each DEST ([USER@]HOST::MODULE[/PATH] or rsync://...): the inotifywait loop,
                    run by routes/mirror.camel.yaml. Changed paths are pushed in batches, one session at a time per
                    target; moves are sent with the old copy as basis; a target that is down gets its changes merged
                    and sent when it is back. Runs until stopped.
                    """, List.of(PUSH, MIRROR_ONLY, COMMON), """
                    --include, --include-from and --filter are refused: the mirror's event filter applies
                    exclude rules only.

                    Examples:
                      camel-rsync mirror -aH --delete --exclude='*.tmp' /srv/app/ backup@mirror1::app \\
                          rsync://mirror2/app/ --password-file=/etc/app.pw
                    """);
            case "daemon" -> text("""
                    usage: camel-rsync daemon [--config=FILE] [--port=PORT] [--address=ADDRESS] [--no-detach]
                                              [--ssl-cert=FILE --ssl-key=FILE]

                    Serves the modules of an rsyncd.conf to stock rsync clients that push to them, as
                    `rsync --daemon` does (auth users, secrets file, hosts allow/deny, read only, uid/gid, ...).
                    """, List.of(DAEMON, COMMON), """
                    Examples:
                      camel-rsync daemon --config=/etc/rsyncd.conf --no-detach
                      rsync -av /srv/app/ rsync://localhost/app/      (a stock client pushing to it)
                    """);
            default -> throw new IllegalArgumentException(command);
        };
    }

    private static String text(String head, List<List<Option>> options, String tail) {
        StringBuilder b = new StringBuilder(head).append("\nOptions:\n");
        for (List<Option> group : options) {
            for (Option o : group) {
                b.append(String.format(" %-34s %s%n", o.flags(), o.text()));
            }
        }
        return b.append('\n').append(tail).toString();
    }
}
