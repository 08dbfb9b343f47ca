package io.camelrsync.mirror;

import io.camelrsync.client.RsyncTarget;
import io.camelrsync.daemonconf.ModuleConf;
import io.camelrsync.daemonconf.RsyncdConf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The syncs of one mirror process, as lsyncd runs several sync blocks: each {@code mirror.syncs[NAME].KEY} names a
 * sync with its own source, targets, excludes and delays, every key it leaves out taken from {@code mirror.KEY}.
 * Without any, {@code mirror.source} and {@code mirror.targets} are the one sync, named {@value #DEFAULT}.
 * A sync with {@code relay = MODULE} has no watch: its source is that module of the mirror's own daemon, and each
 * push into the module is forwarded to the sync's targets (a relay between a source and more targets).
 *
 * <p>Each sync gets its routes from the templates of routes/mirror.camel.yaml (the camel.route-template[...]
 * properties camel-main reads) and its own beans, bound here under "BEAN-SYNC" (watchGuard-docs...).
 */
public final class MirrorSyncs {
    /** The name of the one sync of mirror.source and mirror.targets. */
    public static final String DEFAULT = "default";
    /** The keys a sync may set; each falls back to mirror.KEY. */
    static final Set<String> KEYS = Set.of("source", "targets", "relay", "push-options", "hard-links", "excludes",
            "exclude-from", "quiet-ms", "max-age-ms", "move-wait-ms", "max-batch-paths", "verify-interval",
            "recovery-delay-ms", "max-user-watches");
    private static final Pattern SYNC_KEY = Pattern.compile("mirror\\.syncs\\[([^]]*)]\\.(.+)");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** One target of a sync: its queue name, a label for logs, and the rsync endpoint URI it pushes with. */
    public record Target(String sync, String name, String label, String uri) {
        public String queue() {
            return "mirror-queue:" + name;
        }

        public String routeId() {
            return "mirror-target-" + name;
        }
    }

    /** One source and its targets; {@code settings} are its mirror.KEY values, its own over the mirror's. */
    public record Sync(String name, Map<String, String> settings, List<Target> targets) {
        public String get(String key) {
            return settings.getOrDefault("mirror." + key, "");
        }

        public String source() {
            return get("source");
        }

        /** The daemon module this sync relays from, or null for a watched source. */
        public String relay() {
            String r = get("relay");
            return r.isBlank() ? null : r;
        }

        public String queues() {
            return String.join(",", targets.stream().map(Target::queue).toList());
        }
    }

    private MirrorSyncs() {
    }

    /** The syncs these settings describe; each is checked (a bad target, an unknown key) before anything starts. */
    public static List<Sync> of(Map<String, String> settings) {
        Map<String, Map<String, String>> own = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            Matcher m = SYNC_KEY.matcher(e.getKey());
            if (!m.matches()) {
                continue;
            }
            String name = m.group(1);
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("mirror.syncs[" + name + "]: a sync's name is 1 to 64 letters,"
                        + " digits, '-' or '_'");
            }
            if (!KEYS.contains(m.group(2))) {
                throw new IllegalArgumentException(e.getKey() + ": unknown setting; a sync may set "
                        + new TreeSet<>(KEYS));
            }
            own.computeIfAbsent(name, k -> new LinkedHashMap<>()).put("mirror." + m.group(2), e.getValue().strip());
        }
        List<Sync> syncs = new ArrayList<>();
        if (own.isEmpty()) {
            syncs.add(sync(DEFAULT, settings, Map.of()));
        } else {
            own.forEach((name, mine) -> syncs.add(sync(name, settings, mine)));
        }
        return syncs;
    }

    private static Sync sync(String name, Map<String, String> all, Map<String, String> mine) {
        Map<String, String> s = new LinkedHashMap<>();
        for (String key : KEYS) {
            String k = "mirror." + key;
            // a named sync has its own source, targets and relay, never the mirror's
            boolean own = !name.equals(DEFAULT) && Set.of("source", "targets", "relay").contains(key);
            String v = mine.containsKey(k) ? mine.get(k) : own ? "" : all.getOrDefault(k, "");
            s.put(k, v);
        }
        String where = name.equals(DEFAULT) ? "mirror." : "mirror.syncs[" + name + "].";
        String relay = s.get("mirror.relay");
        if (!relay.isBlank()) {
            String moduleSource = relaySource(all, relay, where);
            if (!s.get("mirror.source").isBlank()
                    && !Path.of(s.get("mirror.source")).toAbsolutePath().normalize().equals(Path.of(moduleSource))) {
                throw new IllegalArgumentException(where + "source and " + where + "relay disagree: a relay's"
                        + " source is its module's path, " + moduleSource);
            }
            s.put("mirror.source", moduleSource);
        }
        if (s.get("mirror.source").isBlank()) {
            throw new IllegalArgumentException(where + "source is empty: name the directory to mirror");
        }
        s.put("mirror.source", Path.of(s.get("mirror.source")).toAbsolutePath().normalize().toString());
        List<Target> targets = targets(name, s, where);
        return new Sync(name, s, targets);
    }

    /** The path of the module a relay forwards from, in the config of the mirror's own daemon. */
    private static String relaySource(Map<String, String> all, String module, String where) {
        if (!Boolean.parseBoolean(all.getOrDefault("mirror.daemon.enabled", "false"))) {
            throw new IllegalArgumentException(where + "relay = " + module + " needs the mirror's own daemon"
                    + " (mirror.daemon.enabled = true, its modules in mirror.daemon.config)");
        }
        Path config = Path.of(all.getOrDefault("mirror.daemon.config", ""));
        try {
            ModuleConf m = RsyncdConf.read(config).module(module).orElseThrow(() -> new IllegalArgumentException(
                    where + "relay = " + module + ": " + config + " has no module [" + module + "]"));
            return Path.of(m.path()).toAbsolutePath().normalize().toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + config + " for " + where + "relay: " + e.getMessage(), e);
        }
    }

    /**
     * The targets of the sync (rsync endpoint URIs, commas between them), each with the source, the push options
     * and the sync's exclude rules added.
     */
    private static List<Target> targets(String sync, Map<String, String> s, String where) {
        String list = s.get("mirror.targets").strip();
        if (list.isEmpty()) {
            throw new IllegalArgumentException(where + "targets is empty: name at least one rsync://host[:port]/module");
        }
        String common = s.get("mirror.push-options").strip();
        // the rules that keep events out also keep those paths out of (and undeleted on) the targets
        String excludes = s.get("mirror.excludes").strip();
        String excludeFrom = s.get("mirror.exclude-from").strip();
        List<Target> out = new ArrayList<>();
        for (String raw : list.split("\\s*,\\s*")) {
            if (raw.isBlank()) {
                continue;
            }
            int q = raw.indexOf('?');
            String address = q < 0 ? raw : raw.substring(0, q);
            RsyncTarget t = RsyncTarget.parse(address, RsyncTarget.DEFAULT_PORT); // fails early on a bad target
            StringBuilder uri = new StringBuilder(raw).append(q < 0 ? '?' : '&');
            uri.append("source=RAW(").append(s.get("mirror.source")).append(')');
            if (!common.isEmpty()) {
                uri.append('&').append(common);
            }
            if (!excludes.isEmpty()) {
                uri.append("&excludes=RAW(").append(excludes).append(')');
            }
            if (!excludeFrom.isEmpty()) {
                uri.append("&excludeFrom=RAW(").append(Path.of(excludeFrom).toAbsolutePath()).append(')');
            }
            String label = t.host() + ":" + t.port() + "/" + t.moduleArg().replaceAll("/$", "");
            out.add(new Target(sync, sync + "-" + (out.size() + 1), label, uri.toString()));
        }
        return out;
    }

    /**
     * The route-template instances of these syncs (camel-main's camel.route-template[ROUTE].* properties), and
     * mirror.relay-modules for the daemon route.
     */
    public static Map<String, String> properties(List<Sync> syncs) {
        Map<String, String> p = new LinkedHashMap<>();
        List<String> relays = new ArrayList<>();
        for (Sync s : syncs) {
            if (s.relay() != null) {
                relays.add(s.relay() + "=" + s.name());
            }
            for (Target t : s.targets()) {
                instance(p, t.routeId(), "mirror-target", Map.of("sync", s.name(), "name", t.name(),
                        "label", t.label(), "target", t.uri()));
            }
            Map<String, String> common = Map.of("sync", s.name(), "queues", s.queues());
            instance(p, "mirror-full-sync-" + s.name(), "mirror-full-sync", common);
            instance(p, "mirror-verify-" + s.name(), "mirror-verify", common);
            if (s.relay() == null) {
                instance(p, "mirror-watch-" + s.name(), "mirror-watch", Map.of("sync", s.name(), "queues",
                        s.queues(), "source", s.source()));
                instance(p, "mirror-root-check-" + s.name(), "mirror-root-check", Map.of("sync", s.name()));
            } else {
                instance(p, "mirror-relay-" + s.name(), "mirror-relay", common);
                instance(p, "mirror-startup-sync-" + s.name(), "mirror-startup-sync", Map.of("sync", s.name()));
            }
            instance(p, "mirror-verify-timer-" + s.name(), "mirror-verify-timer", Map.of("sync", s.name(),
                    "interval", s.get("verify-interval")));
        }
        p.put("mirror.relay-modules", String.join(",", relays));
        return p;
    }

    /** The sources for the status page: each sync's, named when there are several. */
    public static String sources(List<Sync> syncs) {
        return String.join(", ", syncs.stream().map(s -> (syncs.size() > 1 ? s.name() + ": " : "") + s.source())
                .toList());
    }

    private static void instance(Map<String, String> p, String routeId, String template, Map<String, String> params) {
        String key = "camel.route-template[" + routeId + "].";
        p.put(key + "template-id", template);
        params.forEach((k, v) -> p.put(key + k, v));
    }

    /**
     * Makes the sync's own beans (what the mirror.camel.yaml templates name "BEAN-{{sync}}") and hands each to
     * {@code bind} under its name.
     */
    public static void bind(Sync s, BiConsumer<String, Object> bind) {
        String n = s.name();
        boolean hardLinks = Boolean.parseBoolean(s.get("hard-links"));
        HardLinkIndex links = new HardLinkIndex();
        links.setSource(s.source());
        links.setEnabled(hardLinks && s.relay() == null);
        DirectoryIndex dirs = new DirectoryIndex();
        dirs.setSource(s.source());
        dirs.setHardLinks(links);
        ChangeSetAggregation aggregation = new ChangeSetAggregation();
        aggregation.setSource(s.source());
        aggregation.setDirectories(dirs);
        aggregation.setQuietMillis(Long.parseLong(s.get("quiet-ms")));
        aggregation.setMoveWaitMillis(Long.parseLong(s.get("move-wait-ms")));
        aggregation.setMaxAgeMillis(Long.parseLong(s.get("max-age-ms")));
        aggregation.setMaxPaths(Integer.parseInt(s.get("max-batch-paths")));
        aggregation.setHardLinks(hardLinks);
        aggregation.setHardLinkIndex(links);
        MirrorExcludes excludes = new MirrorExcludes();
        excludes.setSource(s.source());
        excludes.setExcludes(s.get("excludes"));
        excludes.setExcludeFrom(s.get("exclude-from"));
        WatchGuard guard = new WatchGuard();
        guard.setSync(n);
        guard.setSource(s.source());
        guard.setDirectories(dirs);
        guard.setMaxUserWatches(Long.parseLong(s.get("max-user-watches")));
        guard.setRecoveryDelayMillis(Long.parseLong(s.get("recovery-delay-ms")));
        VerifyReport verify = new VerifyReport();
        verify.setSource(s.source());
        verify.setInterval(s.get("verify-interval"));
        verify.setMaxAgeMillis(Long.parseLong(s.get("max-age-ms")));
        bind.accept("hardLinkIndex-" + n, links);
        bind.accept("directoryIndex-" + n, dirs);
        bind.accept("changeSetAggregation-" + n, aggregation);
        bind.accept("mirrorExcludes-" + n, excludes);
        bind.accept("watchGuard-" + n, guard);
        bind.accept("mirrorVerify-" + n, verify);
    }
}
