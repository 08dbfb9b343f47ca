package io.camelrsync.daemonconf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One [module] of an rsyncd.conf, with the global section's module parameters as defaults. Typed accessors
 * carry rsync's defaults (loadparm.c / daemon-parm.txt).
 */
public final class ModuleConf {
    private final String name;
    private final Map<String, ConfParam> params;

    ModuleConf(String name, Map<String, ConfParam> params) {
        this.name = name;
        this.params = Collections.unmodifiableMap(params);
    }

    public String name() {
        return name;
    }

    /** The parameter as written (canonical lower-case name with single spaces), if set. */
    public Optional<ConfParam> param(String canonicalName) {
        return Optional.ofNullable(params.get(canonicalName));
    }

    public Map<String, ConfParam> params() {
        return params;
    }

    public String string(String key, String dflt) {
        return param(key).map(ConfParam::value).orElse(dflt);
    }

    public String path() {
        return string("path", null);
    }

    public String comment() {
        return string("comment", "");
    }

    public boolean readOnly() {
        return bool("read only", true);
    }

    public boolean writeOnly() {
        return bool("write only", false);
    }

    public boolean list() {
        return bool("list", true);
    }

    public boolean strictModes() {
        return bool("strict modes", true);
    }

    /** rsync's default: chroot when the daemon runs as root, i.e. when it can. */
    public Optional<Boolean> useChroot() {
        return optionalBool("use chroot");
    }

    public Optional<Boolean> mungeSymlinks() {
        return optionalBool("munge symlinks");
    }

    /**
     * Symlinks are stored munged unless the module says otherwise, or it chroots (rsyncd.conf(5): disabled
     * when "use chroot" is on, otherwise enabled). Ours never chroots and never follows a stored symlink, so
     * "munge symlinks = no" is safe here too; munging still keeps uploaded links unusable by other programs.
     */
    public boolean mungeSymlinksOrDefault() {
        return mungeSymlinks().orElseGet(() -> !useChroot().orElse(true));
    }

    /** Ours: entries one push's file list may hold (a million-file push fits the default many times over). */
    public int maxListEntries() {
        return integer("max list entries", 10_000_000);
    }

    /**
     * Ours, after rsync's --max-alloc: heap one session's file list may hold, in bytes ("512M", "1G"; 1024-based,
     * rsync's suffixes). The default, 1G, is rsync's.
     */
    public long maxAlloc() {
        String v = string("max alloc", null);
        if (v == null || v.isBlank()) {
            return 1L << 30;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+)\\s*([kmgt]?)b?\\s*").matcher(v);
        if (!m.matches()) {
            throw new IllegalArgumentException("max alloc = " + v + ": not a size (like 512M or 1G)");
        }
        int shift = switch (m.group(2).toLowerCase()) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        return Long.parseLong(m.group(1)) << shift;
    }

    public int maxConnections() {
        return integer("max connections", 0);
    }

    public int timeout() {
        return integer("timeout", 0);
    }

    public String uid() {
        return string("uid", null);
    }

    public String gid() {
        return string("gid", null);
    }

    public String secretsFile() {
        return string("secrets file", null);
    }

    public String incomingChmod() {
        return string("incoming chmod", null);
    }

    public String logFile() {
        return string("log file", null);
    }

    public String lockFile() {
        return string("lock file", null);
    }

    public String exclude() {
        return string("exclude", null);
    }

    public String filter() {
        return string("filter", null);
    }

    public List<String> hostsAllow() {
        return words("hosts allow");
    }

    public List<String> hostsDeny() {
        return words("hosts deny");
    }

    public List<String> refuseOptions() {
        return words("refuse options");
    }

    /** "auth users": user or @group names, each optionally ending ":ro", ":rw" or ":deny". */
    public List<AuthUser> authUsers() {
        List<AuthUser> out = new ArrayList<>();
        for (String w : words("auth users")) {
            int colon = w.lastIndexOf(':');
            String who = w;
            AuthUser.Access access = AuthUser.Access.DEFAULT;
            if (colon > 0) {
                String suffix = w.substring(colon + 1).toLowerCase(Locale.ROOT);
                access = switch (suffix) {
                    case "ro" -> AuthUser.Access.READ_ONLY;
                    case "rw" -> AuthUser.Access.READ_WRITE;
                    case "deny" -> AuthUser.Access.DENY;
                    default -> null;
                };
                if (access == null) {
                    access = AuthUser.Access.DEFAULT;
                } else {
                    who = w.substring(0, colon);
                }
            }
            out.add(new AuthUser(who, access));
        }
        return out;
    }

    private List<String> words(String key) {
        String v = string(key, null);
        if (v == null || v.isBlank()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String w : v.trim().split("[\\s,]+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }

    private boolean bool(String key, boolean dflt) {
        return optionalBool(key).orElse(dflt);
    }

    private Optional<Boolean> optionalBool(String key) {
        return param(key).map(p -> RsyncdConf.parseBoolean(p).orElse(null));
    }

    private int integer(String key, int dflt) {
        return param(key).map(p -> {
            try {
                return Integer.parseInt(p.value().trim());
            } catch (NumberFormatException e) {
                return dflt; // reported as a warning when the file was read
            }
        }).orElse(dflt);
    }

    /** An entry of "auth users". */
    public record AuthUser(String name, Access access) {
        public enum Access { DEFAULT, READ_ONLY, READ_WRITE, DENY }
    }
}
