package io.camelrsync.daemon;

import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.filter.FilterRules;
import io.camelrsync.flist.ChmodRules;
import io.camelrsync.fs.Dir;
import io.camelrsync.fs.FsException;
import io.camelrsync.fs.Stat;
import io.camelrsync.protocol.ClientArgs;
import io.camelrsync.protocol.ExitCode;
import io.camelrsync.protocol.MessageCode;
import io.camelrsync.protocol.MultiplexReader;
import io.camelrsync.protocol.MultiplexWriter;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import io.camelrsync.receiver.AltDests;
import io.camelrsync.receiver.BackupPlan;
import io.camelrsync.receiver.DestinationTree;
import io.camelrsync.receiver.ReceiveRole;
import io.camelrsync.receiver.ReceiveStats;
import io.camelrsync.receiver.ReceiveTarget;
import io.camelrsync.receiver.SessionMemory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Our daemon taking a push (main.c do_server_recv): the module's policy (its filter rules, --backup-dir and the
 * alt dirs below the module and not excluded by it, its uid and gid, munge symlinks, incoming chmod, the memory
 * a file list may take), the destination below the module opened one component at a time without following a
 * symlink (made when missing), the client's filter rules when the receiver wants them; then the shared
 * {@link ReceiveRole} on that destination.
 */
final class PushService {
    private final ModuleRequest request;
    private final ClientArgs args;
    private final Path moduleRoot;
    private final Consumer<String> log;
    private final ServerSession.Refusal refusal;
    /** A warning the client shows (rsync's FWARNING), logged too. */
    private final Consumer<String> warn;
    private final ReceiveStats stats;
    private final boolean dryRun;
    /** The module's own rules: what they exclude is neither received, deleted nor a basis. */
    private ModuleRules rules;
    /** The destination was made for this push (main.c get_local_name's FLAG_DIR_CREATED on "."). */
    private boolean createdDestination;

    PushService(ModuleRequest request, ClientArgs args, Path moduleRoot, Consumer<String> log,
                ServerSession.Refusal refusal, Consumer<String> warn, ReceiveStats stats) {
        this.request = request;
        this.args = args;
        this.moduleRoot = moduleRoot;
        this.log = log;
        this.refusal = refusal;
        this.warn = warn;
        this.stats = stats;
        this.dryRun = args.dryRun();
    }

    /** The push on the set-up session: the refusals and the destination, then the receiving role. */
    ReceiveStats receive(MultiplexWriter mux, WireInput data, MultiplexReader demux, ReceiveRole.Settings settings)
            throws IOException {
        ModuleConf module = request.module();
        DestinationTree.Policy policy;
        SessionMemory memory;
        BackupPlan backupPlan;
        try {
            rules = ModuleRules.of(module);
            backupPlan = BackupPlan.of(args, destinationParts());
        } catch (RsyncException e) { // the destination leaves the module
            refusal.refuse(e.getMessage(), e.exitCode());
            return stats;
        } catch (IOException | IllegalArgumentException e) {
            refusal.refuse("ERROR: module " + module.name() + " is misconfigured: " + e.getMessage(),
                    ExitCode.FILE_SELECT);
            return stats;
        } catch (BackupPlan.Rejected e) {
            refusal.refuse(e.getMessage(), ExitCode.UNSUPPORTED); // option_error, as rsync_module exits
            return stats;
        }
        if (backupPlan != null && backupPlan.dir() != null && rules.refuses(backupPlan.moduleRelativeDir(), true)) {
            // options.c: a --backup-dir the module's own rules exclude
            refusal.refuse("rsync: Your options have been rejected by the server.", ExitCode.UNSUPPORTED);
            return stats;
        }
        AltDests altDests;
        try {
            altDests = AltDests.of(args, destinationParts());
        } catch (RsyncException e) {
            refusal.refuse(e.getMessage(), e.exitCode());
            return stats;
        }
        try {
            policy = new DestinationTree.Policy(args.perms(), args.times(), args.owner(), args.group(),
                    args.fsync(), module.mungeSymlinksOrDefault() || args.used().contains("munge-links"),
                    ChmodRules.parse(module.incomingChmod()), ModuleIdentity.of(module),
                    backupPlan != null && backupPlan.dir() == null);
            memory = new SessionMemory(module.name(), module.maxListEntries(), module.maxAlloc());
        } catch (IOException | IllegalArgumentException e) {
            refusal.refuse("ERROR: module " + module.name() + " is misconfigured: " + e.getMessage(),
                    ExitCode.FILE_SELECT);
            return stats;
        }
        ReceiveTarget target;
        try {
            Dir moduleDir = openModule();
            try {
                if (backupPlan != null && backupPlan.dir() != null) {
                    ReceiveTarget.checkBackupDir(moduleDir, backupPlan);
                }
                Dir destination = destination(mux, moduleDir);
                if (altDests != null && altDests.dirs().stream().anyMatch(d -> !d.parts().isEmpty()
                        && rules.refuses(String.join("/", d.parts()), true))) {
                    // main.c do_server_recv: a basis dir the module's own rules exclude (once the destination
                    // is made, as there)
                    if (destination != null) {
                        destination.close();
                    }
                    throw new RsyncException(ExitCode.SYNTAX, "rsync: Your options have been rejected by the server.");
                }
                target = ReceiveTarget.open(moduleDir, destination, backupPlan, altDests, policy, dryRun,
                        createdDestination, warn);
            } finally {
                moduleDir.close();
            }
        } catch (RsyncException e) {
            refusal.refuse(e.getMessage(), e.exitCode());
            return stats;
        }
        try (target; memory) {
            FilterRules filters = FilterRules.empty();
            if (args.delete() || args.used().contains("prune-empty-dirs")) { // receiver_wants_list
                try {
                    filters = ClientRules.read(data, false);
                } catch (IllegalArgumentException e) {
                    refusal.refuse("ERROR: " + e.getMessage(), ExitCode.UNSUPPORTED);
                    return stats;
                }
            }
            return new ReceiveRole(settings, new ReceiveRole.Policy(module.name(), rules::refuses, log, false),
                    target, filters, stats, mux).run(data, demux, memory);
        }
    }

    /** The destination's components below the module's path, as the client named them ("module/sub/dir"). */
    private List<String> destinationParts() throws RsyncException {
        String first = args.paths().isEmpty() ? request.module().name() : args.paths().get(0);
        int slash = first.indexOf('/');
        List<String> parts = new ArrayList<>();
        for (String part : (slash < 0 ? "" : first.substring(slash + 1)).split("/")) {
            if (part.equals("..")) {
                throw new RsyncException(ExitCode.UNSUPPORTED, "ERROR: the destination leaves the module: " + first);
            }
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        return parts;
    }

    private Dir openModule() throws IOException {
        try {
            return Dir.open(moduleRoot);
        } catch (FsException e) {
            throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: module " + request.module().name()
                    + " has no usable path: " + e.getMessage());
        }
    }

    /**
     * The module's directory plus the path below it the client named, opened one component at a time without
     * following a symlink; the last component is created when missing, as rsync creates its destination.
     */
    private Dir destination(MultiplexWriter mux, Dir module) throws IOException {
        String first = args.paths().isEmpty() ? request.module().name() : args.paths().get(0);
        List<String> parts = destinationParts();
        stats.changes.prefix(parts);
        Dir d = module.retain();
        try {
            for (int i = 0; i < parts.size(); i++) {
                String part = parts.get(i);
                Stat st = d.stat(part);
                if (st == null && i == parts.size() - 1) {
                    if (!dryRun) {
                        d.mkdir(part, 0777);
                    }
                    createdDestination = true;
                    // rsync names it as its (chrooted) process sees it, in a dry run too
                    String name = (request.module().useChroot().orElse(true) ? "/" : "") + String.join("/", parts);
                    mux.sendMessage(MessageCode.INFO, ("created directory " + name + "\n")
                            .getBytes(StandardCharsets.UTF_8));
                    if (dryRun) {
                        d.close();
                        return null;
                    }
                } else if (st != null && st.isSymlink()) { // never followed: it could lead out of the module
                    throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: destination " + first
                            + " goes through a symlink, which is never followed");
                } else if (st == null || !st.isDirectory()) {
                    throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: destination " + first
                            + " is not a directory");
                }
                Dir next;
                try {
                    next = d.openDir(part);
                } catch (FsException e) { // d is still ours: closed below
                    throw new RsyncException(ExitCode.FILE_SELECT, "ERROR: destination " + first
                            + (e.notConfinable() ? " goes through a symlink, which is never followed"
                            : " cannot be opened: " + e.getMessage()));
                }
                d.close();
                d = next;
            }
            return d;
        } catch (IOException | RuntimeException e) {
            d.close();
            throw e;
        }
    }
}
