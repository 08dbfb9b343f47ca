package io.camelrsync.client;

import io.camelrsync.flist.ChangeSet;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Sends the moved paths of a change set before the rest of it, each in a session of its own whose destination is
 * the new place and whose basis is the old copy still on the daemon, so that the bytes need not cross the wire
 * again: a moved directory with rsync's --link-dest at its old path (an unchanged file is hard-linked, and the
 * deletion of the old path by the main session leaves it renamed), a file moved to another directory with
 * --link-dest at its old directory, a file renamed in its directory with --fuzzy (generator.c find_fuzzy takes the
 * file of equal size and mtime as basis). Stock daemons take both options since rsync 2.6, and so does ours; one
 * that refuses them ("refuse options") gets the moved paths as trees of the main session, and is not asked again.
 *
 * <p>These sessions keep the quick check: a file the mirror saw change after the move is named in the change set
 * and the main session, which transfers every named file, sends it again.
 */
final class MoveSessions {
    private final Path source;
    private final RsyncTarget target;
    private final PushOptions options;
    private final PushListener listener;
    private final TransferStats total;

    MoveSessions(Path source, RsyncTarget target, PushOptions options, PushListener listener, TransferStats total) {
        this.source = source;
        this.target = target;
        this.options = options;
        this.listener = listener;
        this.total = total;
    }

    /**
     * Sends what it can of {@code changes.moves()} and returns the change set left for the main session. A network
     * or daemon failure is thrown (the whole push is redone); a move that fails otherwise goes whole in the main
     * session.
     */
    ChangeSet send(ChangeSet changes) throws IOException {
        if (changes.moves().isEmpty() || !options.sendMovesWithBasis) {
            return changes.withMovesSent(Set.of());
        }
        Set<String> sent = new HashSet<>();
        // parents before children: a moved directory must be on the daemon before a path moved into it
        for (Map.Entry<String, String> m : new TreeMap<>(changes.moves()).entrySet()) {
            String to = m.getKey();
            String from = m.getValue();
            String parent = parentOf(to);
            if (changes.moves().containsKey(parent) && !sent.contains(parent)) {
                continue;
            }
            if (sendOne(to, from)) {
                sent.add(to);
            } else if (!options.sendMovesWithBasis) {
                break;
            }
        }
        return changes.withMovesSent(sent);
    }

    private boolean sendOne(String to, String from) throws IOException {
        Path now = source.resolve(to);
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(now, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException gone) {
            return false; // the main session deletes it
        }
        PushOptions o = options.copy();
        o.delete = false;
        o.linkDest = null;
        o.fuzzy = false;
        RsyncTarget into;
        boolean contentsOnly;
        if (a.isDirectory()) {
            into = below(to + "/");
            o.linkDest = "/" + inModule(from);
            o.filterRoot = to;
            contentsOnly = true;
        } else if (a.isRegularFile() && name(to).equals(name(from))) {
            into = below(parentOf(to) + "/");
            o.linkDest = "/" + inModule(parentOf(from));
            o.filterRoot = parentOf(to);
            contentsOnly = false;
        } else if (a.isRegularFile() && parentOf(to).equals(parentOf(from))) {
            into = below(parentOf(to) + "/");
            o.fuzzy = true;
            o.filterRoot = parentOf(to);
            contentsOnly = false;
        } else {
            return false;
        }
        try {
            TransferStats s = new PushSession(now, contentsOnly, into, o, null, listener).run();
            int exitCode = s.exitCode;
            s.exitCode = 0; // a move that did not go whole is sent again by the main session
            s.deletedFiles = 0;
            total.add(s);
            return exitCode == 0;
        } catch (RsyncException e) {
            if (isTargetFailure(e.exitCode())) {
                throw e;
            }
            if (e.exitCode() == ExitCode.UNSUPPORTED || e.exitCode() == ExitCode.SYNTAX) {
                options.sendMovesWithBasis = false;
                total.basisRefused = true;
            }
            return false;
        }
    }

    /** Failures of the network or of the daemon as a whole, which the main session would meet too. */
    private static boolean isTargetFailure(int exitCode) {
        return switch (exitCode) {
            case ExitCode.START_CLIENT, ExitCode.SOCKET_IO, ExitCode.STREAM_IO, ExitCode.TIMEOUT,
                    ExitCode.CONNECT_TIMEOUT, ExitCode.MALLOC -> true;
            default -> false;
        };
    }

    /** The daemon destination {@code rel} (relative to the source root) below the target's own path. */
    private RsyncTarget below(String rel) {
        String r = rel.equals("./") ? "" : rel;
        return new RsyncTarget(target.user(), target.host(), target.port(), target.module(), inModule(r));
    }

    private String inModule(String rel) {
        String base = target.path();
        if (rel.equals(".")) {
            rel = "";
        }
        if (base.isEmpty()) {
            return rel;
        }
        return base.endsWith("/") ? base + rel : base + "/" + rel;
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "." : path.substring(0, slash);
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
