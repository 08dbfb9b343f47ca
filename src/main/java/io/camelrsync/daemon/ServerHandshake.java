package io.camelrsync.daemon;

import io.camelrsync.daemonconf.ConfParam;
import io.camelrsync.daemonconf.HostAccess;
import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.daemonconf.RsyncdConf;
import io.camelrsync.filter.Wildcard;
import io.camelrsync.protocol.AuthDigest;
import io.camelrsync.protocol.HandshakeCodec;
import io.camelrsync.protocol.RsyncException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The daemon's side of the text handshake (clientserver.c rsync_module, authenticate.c auth_server): greetings,
 * MOTD, module listing, the checks in rsync's order (unknown module, hosts allow/deny, max connections, login)
 * with stock @ERROR texts, then the client's arguments. Runs over any pair of streams whose reads time out.
 */
public final class ServerHandshake {
    public static final int PROTOCOL = 32;
    /** Most arguments a client may send (rsync has no fixed limit; real command lines send a few dozen). */
    static final int MAX_ARGS = 1024;

    private final RsyncdConf conf;
    private final HostAccess access;
    private final Predicate<ModuleConf> takeConnectionSlot;
    private final Consumer<String> log;
    private final SecureRandom random = new SecureRandom();
    /** The ":ro"/":rw" of the auth users entry the client logged in through. */
    private ModuleConf.AuthUser.Access userAccess = ModuleConf.AuthUser.Access.DEFAULT;

    /**
     * @param takeConnectionSlot claims one of the module's "max connections" slots; false when all are taken
     * @param log                one line per refusal, as rsync writes to its log file
     */
    public ServerHandshake(RsyncdConf conf, HostAccess access, Predicate<ModuleConf> takeConnectionSlot,
                           Consumer<String> log) {
        this.conf = conf;
        this.access = access;
        this.takeConnectionSlot = takeConnectionSlot;
        this.log = log;
    }

    /** Runs the handshake; empty when the client only listed the modules. */
    public Optional<ModuleRequest> run(InputStream in, OutputStream out, InetAddress peer, String peerName)
            throws IOException {
        HandshakeCodec.writeLine(out, HandshakeCodec.Greeting.format(PROTOCOL,
                List.of(AuthDigest.wireList().split(" "))));
        sendMotd(out);
        String greeting = readLine(in);
        if (!greeting.startsWith("@RSYNCD: ")) {
            throw refuse(out, "@ERROR: protocol startup error", "bad greeting from " + peerName);
        }
        HandshakeCodec.Greeting parsed = HandshakeCodec.Greeting.parse(greeting).orElseThrow(() ->
                refuse(out, "@ERROR: protocol startup error", "bad greeting from " + peerName));
        int clientProtocol = parsed.protocol();
        if (clientProtocol >= 30 && !parsed.subprotocol()) {
            throw refuse(out, "@ERROR: your client omitted the subprotocol value: " + clientProtocol,
                    "client omitted the subprotocol");
        }
        if (clientProtocol < 30) {
            throw refuse(out, "@ERROR: protocol version mismatch -- your rsync speaks protocol " + clientProtocol
                    + "; this daemon needs 30 or newer (rsync 3.0+)", "protocol " + clientProtocol + " refused");
        }
        int protocol = Math.min(PROTOCOL, clientProtocol);
        List<String> clientDigests = parsed.digests();

        String name = readLine(in);
        if (name.isEmpty() || name.equals("#list")) {
            for (ModuleConf m : conf.modules().values()) {
                if (m.list()) {
                    HandshakeCodec.writeLine(out, String.format(Locale.ROOT, "%-15s\t%s", m.name(), m.comment()));
                }
            }
            HandshakeCodec.writeLine(out, "@RSYNCD: EXIT");
            return Optional.empty();
        }
        if (name.startsWith("#")) {
            throw refuse(out, "@ERROR: Unknown command '" + name + "'", "unknown command from " + peerName);
        }
        ModuleConf module = conf.module(name).orElse(null);
        if (module == null) {
            throw refuse(out, "@ERROR: Unknown module '" + name + "'", "unknown module '" + name + "' tried from "
                    + peerName + " (" + peer.getHostAddress() + ")");
        }
        if (!access.allowed(module.hostsAllow(), module.hostsDeny(), peer)) {
            throw refuse(out, "@ERROR: access denied to " + name + " from " + peerName + " ("
                    + peer.getHostAddress() + ")", "rsync denied on module " + name + " from " + peerName);
        }
        if (module.maxConnections() > 0 && !takeConnectionSlot.test(module)) {
            throw refuse(out, "@ERROR: max connections (" + module.maxConnections() + ") reached -- try again later",
                    "max connections (" + module.maxConnections() + ") reached");
        }
        userAccess = ModuleConf.AuthUser.Access.DEFAULT;
        String user = module.authUsers().isEmpty() ? null : login(in, out, module, clientDigests, peerName);
        HandshakeCodec.writeLine(out, "@RSYNCD: OK");
        boolean readOnly = userAccess == ModuleConf.AuthUser.Access.READ_ONLY
                || userAccess != ModuleConf.AuthUser.Access.READ_WRITE && module.readOnly();
        List<String> args = HandshakeCodec.readArgs(in, protocol, MAX_ARGS);
        return Optional.of(new ModuleRequest(module, user, protocol, args, readOnly));
    }

    private String login(InputStream in, OutputStream out, ModuleConf module, List<String> clientDigests,
                         String peerName) throws IOException {
        AuthDigest digest = AuthDigest.forServer(clientDigests).orElseThrow(() -> refuse(out,
                "@ERROR: no common login digest (we offer " + AuthDigest.wireList() + ")", "no common digest"));
        byte[] rnd = new byte[16];
        random.nextBytes(rnd);
        String challenge = Base64.getEncoder().withoutPadding().encodeToString(rnd);
        HandshakeCodec.writeLine(out, "@RSYNCD: AUTHREQD " + challenge);
        String line = readLine(in);
        int sp = line.indexOf(' ');
        String failed = "@ERROR: auth failed on module " + module.name();
        if (sp <= 0) {
            throw refuse(out, failed, "auth failed on module " + module.name() + " from " + peerName
                    + ": invalid challenge response");
        }
        String user = line.substring(0, sp);
        String response = line.substring(sp + 1);
        String[] group = new String[1];
        ModuleConf.AuthUser entry = matchAuthUser(module, user, group);
        if (entry == null || entry.access() == ModuleConf.AuthUser.Access.DENY) {
            throw refuse(out, failed, "auth failed on module " + module.name() + " from " + peerName + ": user "
                    + user + (entry == null ? " not in auth users" : " denied"));
        }
        userAccess = entry.access();
        ConfParam secrets = module.param("secrets file").orElse(null);
        List<String> passwords;
        try {
            passwords = secrets == null ? List.of()
                    : SecretsFile.passwordsFor(Path.of(secrets.value()), user, group[0], module.strictModes());
        } catch (IOException e) {
            throw refuse(out, failed, "auth failed on module " + module.name() + ": " + e.getMessage());
        }
        if (passwords.stream().noneMatch(p -> digest.verify(p, challenge, response))) {
            throw refuse(out, failed, "auth failed on module " + module.name() + " from " + peerName
                    + " for " + user + (passwords.isEmpty() ? ": no secret for this user" : ": password mismatch"));
        }
        return user;
    }

    /**
     * The first "auth users" entry that names the user (wildcards allowed) or, as "@group", a group the user
     * belongs to on this machine; {@code group[0]} receives the matched group's name.
     */
    private static ModuleConf.AuthUser matchAuthUser(ModuleConf module, String user, String[] group) {
        List<String> groups = null;
        for (ModuleConf.AuthUser u : module.authUsers()) {
            if (!u.name().startsWith("@")) {
                if (user.matches(Wildcard.toRegex(u.name()))) {
                    return u;
                }
                continue;
            }
            if (groups == null) {
                groups = groupsOf(user);
            }
            String pattern = Wildcard.toRegex(u.name().substring(1));
            for (String g : groups) {
                if (g.matches(pattern)) {
                    group[0] = g;
                    return u;
                }
            }
        }
        return null;
    }

    /** The groups of a local user (getgrouplist through id(1)); none for a name that is no user here. */
    private static List<String> groupsOf(String user) {
        if (!user.matches("[A-Za-z0-9._][A-Za-z0-9._-]*")) {
            return List.of();
        }
        try {
            Process p = new ProcessBuilder("id", "-Gn", "--", user).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor() == 0 ? List.of(out.split("\\s+")) : List.of();
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    private void sendMotd(OutputStream out) throws IOException {
        Optional<ConfParam> motd = conf.global("motd file");
        if (motd.isEmpty()) {
            return;
        }
        Path file = Path.of(motd.get().value());
        if (Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            out.write(Files.readAllBytes(file));
        } else {
            log.accept("motd file " + file + " is missing or not a regular file (" + motd.get().file() + " line "
                    + motd.get().line() + ")");
        }
        HandshakeCodec.writeLine(out, "");
    }

    private DaemonRefusal refuse(OutputStream out, String error, String logLine) {
        log.accept(logLine);
        try {
            HandshakeCodec.writeLine(out, error);
        } catch (IOException ignored) {
            // the client is gone; the refusal stands
        }
        return new DaemonRefusal(error);
    }

    private static String readLine(InputStream in) throws IOException {
        return HandshakeCodec.readLine(in, () -> RsyncException.protocol(
                "the client closed the connection during the handshake"));
    }
}
