package io.camelrsync.daemonconf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An rsyncd.conf read as stock rsync reads it (params.c, loadparm.c): comment lines start with '#' or ';',
 * '\' continues a line, names match ignoring case and white space, module parameters before the first
 * [module] (or in [global]) are defaults for every module, and &include / &merge pull in more files.
 * Where rsync would silently do something surprising we warn, naming the file and line.
 */
public final class RsyncdConf {
    /** " #..." or " ;..." after a value: a comment the user thought rsync would strip. */
    static final Pattern INLINE_REMARK = Pattern.compile("\\s+[#;]");
    /** Parameters whose value names a file or directory: a remark after one is cut off (with a warning). */
    private static final Set<String> FILE_NAMES = Set.of("log file", "pid file", "lock file", "secrets file", "path",
            "temp dir", "motd file", "include from", "exclude from");

    private static final Set<String> GLOBALS = Set.of("address", "bind address", "daemon chroot", "daemon gid",
            "daemon uid", "motd file", "pid file", "proxy protocol hosts", "socket options", "listen backlog", "port",
            "rsync port", "proxy protocol");
    private static final Set<String> LOCALS = Set.of("auth digest", "auth users", "charset", "comment",
            "dont compress", "early exec", "exclude", "exclude from", "filter", "gid", "hosts allow", "hosts deny",
            "include", "include from", "incoming chmod", "lock file", "log file", "log format", "name",
            "name converter", "outgoing chmod", "post-xfer exec", "pre-xfer exec", "refuse options", "secrets file",
            "syslog tag", "uid", "path", "temp dir", "max connections", "max verbosity", "timeout", "syslog facility",
            "fake super", "forward lookup", "ignore errors", "ignore nonreadable", "insecure links", "list",
            "read only", "reverse lookup", "strict modes", "transfer logging", "write only", "munge symlinks",
            "numeric ids", "open noatime", "use chroot", "max list entries", "max alloc");
    private static final Set<String> BOOLEANS = Set.of("proxy protocol", "fake super", "forward lookup",
            "ignore errors", "ignore nonreadable", "insecure links", "list", "read only", "reverse lookup",
            "strict modes", "transfer logging", "write only", "munge symlinks", "numeric ids", "open noatime",
            "use chroot");
    private static final Set<String> INTEGERS = Set.of("listen backlog", "port", "rsync port", "max connections",
            "max verbosity", "timeout", "max list entries");
    private static final Map<String, String> ALIASES = Map.of("bind address", "address", "rsync port", "port");
    private static final int MAX_INCLUDE_DEPTH = 16;

    private final Map<String, ConfParam> globals;
    private final Map<String, ConfParam> defaults;
    private final Map<String, ModuleConf> modules;
    private final List<String> warnings;

    private RsyncdConf(Map<String, ConfParam> globals, Map<String, ConfParam> defaults, Map<String, ModuleConf> modules,
                       List<String> warnings) {
        this.globals = Collections.unmodifiableMap(globals);
        this.defaults = Collections.unmodifiableMap(defaults);
        this.modules = Collections.unmodifiableMap(modules);
        this.warnings = Collections.unmodifiableList(warnings);
    }

    public static RsyncdConf read(Path file) throws IOException {
        Reader r = new Reader();
        r.readFile(file, 0);
        return r.finish();
    }

    /** A config given as text ({@code origin} names it in warnings); "&include" is relative to origin. */
    public static RsyncdConf parse(String text, Path origin) throws IOException {
        Reader r = new Reader();
        r.readLines(text.lines().toList(), origin, 0);
        return r.finish();
    }

    /**
     * A parameter of the global section: the daemon's own (port, address, motd file, pid file) or a module
     * parameter written there, which is every module's default and, for "log file", the daemon's log.
     */
    public Optional<ConfParam> global(String canonicalName) {
        ConfParam p = globals.get(canonicalName);
        return Optional.ofNullable(p != null ? p : defaults.get(canonicalName));
    }

    public Optional<ModuleConf> module(String name) {
        return Optional.ofNullable(modules.get(name));
    }

    /** Modules in file order. */
    public Map<String, ModuleConf> modules() {
        return modules;
    }

    /** Everything worth telling the operator, each naming its file and line. */
    public List<String> warnings() {
        return warnings;
    }

    /** The canonical form of a parameter name: lower case, single spaces, aliases resolved. */
    static String canonical(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace('_', ' ').replaceAll("\\s+", " ");
        return ALIASES.getOrDefault(n, n);
    }

    /** yes/no/true/false/1/0 (and unset/-1 for rsync's three-state booleans, read as "not set"). */
    static Optional<Boolean> parseBoolean(ConfParam p) {
        String v = p.value().trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "yes", "true", "1" -> Optional.of(true);
            case "no", "false", "0" -> Optional.of(false);
            default -> Optional.empty();
        };
    }

    /** Name lookup that ignores white space and case entirely, as rsync's strwiEQ does ("maxconnections"). */
    private static String known(String canonical) {
        if (GLOBALS.contains(canonical) || LOCALS.contains(canonical)) {
            return canonical;
        }
        String squeezed = canonical.replace(" ", "");
        for (Set<String> set : List.of(GLOBALS, LOCALS)) {
            for (String k : set) {
                if (k.replace(" ", "").equals(squeezed)) {
                    return ALIASES.getOrDefault(k, k);
                }
            }
        }
        return null;
    }

    private static final class Reader {
        private final Map<String, ConfParam> globals = new LinkedHashMap<>();
        private final Map<String, ConfParam> moduleDefaults = new LinkedHashMap<>();
        private final Map<String, Map<String, ConfParam>> modules = new LinkedHashMap<>();
        private final List<String> warnings = new ArrayList<>();
        private final Set<Path> including = new HashSet<>();
        private String section; // null: global

        void readFile(Path file, int depth) throws IOException {
            Path real = file.toAbsolutePath().normalize();
            if (depth > MAX_INCLUDE_DEPTH || !including.add(real)) {
                throw new IOException(file + ": &include nests too deep or includes itself");
            }
            readLines(Files.readAllLines(file, StandardCharsets.UTF_8), file, depth);
            including.remove(real);
        }

        void readLines(List<String> lines, Path file, int depth) throws IOException {
            for (int i = 0; i < lines.size(); i++) {
                int lineNo = i + 1;
                StringBuilder text = new StringBuilder(lines.get(i));
                while (endsWithContinuation(text) && i + 1 < lines.size()) {
                    text.setLength(text.length() - 1);
                    text.append(lines.get(++i).stripLeading());
                }
                line(file, lineNo, text.toString().strip(), depth);
            }
        }

        private static boolean endsWithContinuation(StringBuilder s) {
            return s.length() > 0 && s.charAt(s.length() - 1) == '\\';
        }

        private void line(Path file, int lineNo, String text, int depth) throws IOException {
            if (text.isEmpty() || text.startsWith("#") || text.startsWith(";")) {
                return;
            }
            String where = file + " line " + lineNo;
            if (text.startsWith("[")) {
                int close = text.indexOf(']');
                if (close < 0) {
                    throw new IOException(where + ": section header without a closing ']': " + text);
                }
                String name = text.substring(1, close).strip();
                if (close < text.length() - 1 && !text.substring(close + 1).isBlank()) {
                    warnings.add(where + ": text after the section header is ignored: "
                            + text.substring(close + 1).strip());
                }
                if (name.equalsIgnoreCase("global")) {
                    section = null;
                } else if (name.isEmpty()) {
                    throw new IOException(where + ": empty module name");
                } else {
                    section = name;
                    modules.computeIfAbsent(name, k -> new LinkedHashMap<>());
                }
                return;
            }
            if (text.startsWith("&")) {
                String[] parts = text.split("[\\s=]+", 2); // "&include FILE" (an '=' is tolerated)
                directive(where, parts[0], parts.length > 1 ? parts[1].strip() : "", file, depth);
                return;
            }
            int eq = text.indexOf('=');
            if (eq < 0) {
                warnings.add(where + ": ignored, not \"name = value\": " + text);
                return;
            }
            String rawName = text.substring(0, eq).strip();
            String value = text.substring(eq + 1).strip();
            String name = known(canonical(rawName));
            if (name == null) {
                warnings.add(where + ": unknown parameter \"" + rawName + "\" ignored" + suggestion(rawName));
                return;
            }
            boolean remark = INLINE_REMARK.matcher(value).find();
            ConfParam p = new ConfParam(name, value, file, lineNo, remark);
            if (remark && FILE_NAMES.contains(name)) {
                // a file named "rsyncd.log    # the log" helps nobody: the name is what was meant
                p = new ConfParam(name, p.valueWithoutRemark(), file, lineNo, true);
                warnings.add(where + ": the value of \"" + name + "\" is \"" + value + "\" - rsyncd.conf has no"
                        + " comments after values (stock rsync would take the remark as part of the name); using \""
                        + p.value() + "\": put the comment on a line of its own");
            } else if (remark) {
                warnings.add(where + ": the value of \"" + name + "\" is \"" + value + "\" - rsyncd.conf has no"
                        + " comments after values, so the remark is part of it; put the comment on a line of its"
                        + " own (you probably meant \"" + p.valueWithoutRemark() + "\")");
            }
            checkType(where, p);
            if (GLOBALS.contains(name)) {
                if (section != null) {
                    warnings.add(where + ": global parameter \"" + name + "\" in module [" + section
                            + "] is ignored; move it above the first module");
                    return;
                }
                globals.put(name, p);
            } else if (section == null) {
                moduleDefaults.put(name, p);
            } else {
                modules.get(section).put(name, p);
            }
        }

        private void directive(String where, String name, String value, Path file, int depth) throws IOException {
            String d = name.toLowerCase(Locale.ROOT);
            if (!d.equals("&include") && !d.equals("&merge")) {
                warnings.add(where + ": unknown directive " + name + " ignored");
                return;
            }
            Path target = file.resolveSibling(value);
            List<Path> files = new ArrayList<>();
            if (Files.isDirectory(target)) {
                try (var s = Files.list(target)) {
                    s.filter(p -> p.getFileName().toString().endsWith(d.equals("&include") ? ".conf" : ".inc"))
                            .sorted().forEach(files::add);
                }
            } else {
                files.add(target);
            }
            String saved = section;
            for (Path f : files) {
                if (d.equals("&include")) {
                    section = null; // an included file starts in its own global section
                }
                readFile(f, depth + 1);
                section = saved;
            }
        }

        private void checkType(String where, ConfParam p) {
            if (BOOLEANS.contains(p.name()) && parseBoolean(p).isEmpty()
                    && !p.value().trim().equalsIgnoreCase("unset") && !p.value().trim().equals("-1")) {
                warnings.add(where + ": \"" + p.name() + "\" needs yes or no, not \"" + p.value() + "\"");
            }
            if (INTEGERS.contains(p.name())) {
                try {
                    Integer.parseInt(p.value().trim());
                } catch (NumberFormatException e) {
                    warnings.add(where + ": \"" + p.name() + "\" needs a number, not \"" + p.value() + "\"");
                }
            }
        }

        /** "mac connections" -> did you mean "max connections"? (one edit away, or letters swapped). */
        private static String suggestion(String raw) {
            String c = canonical(raw).replace(" ", "");
            for (Set<String> set : List.of(GLOBALS, LOCALS)) {
                for (String k : set) {
                    if (editDistance(c, k.replace(" ", "")) <= 2) {
                        return "; did you mean \"" + k + "\"?";
                    }
                }
            }
            return "";
        }

        private static int editDistance(String a, String b) {
            int[] prev = new int[b.length() + 1];
            int[] cur = new int[b.length() + 1];
            for (int j = 0; j <= b.length(); j++) {
                prev[j] = j;
            }
            for (int i = 1; i <= a.length(); i++) {
                cur[0] = i;
                for (int j = 1; j <= b.length(); j++) {
                    int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                    cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
                }
                int[] t = prev;
                prev = cur;
                cur = t;
            }
            return prev[b.length()];
        }

        RsyncdConf finish() {
            Map<String, ModuleConf> out = new LinkedHashMap<>();
            for (Map.Entry<String, Map<String, ConfParam>> m : modules.entrySet()) {
                Map<String, ConfParam> merged = new LinkedHashMap<>(moduleDefaults);
                merged.putAll(m.getValue());
                if (!merged.containsKey("path")) {
                    warnings.add("module [" + m.getKey() + "] has no path; clients will be refused");
                }
                out.put(m.getKey(), new ModuleConf(m.getKey(), merged));
            }
            Map<String, ConfParam> g = new LinkedHashMap<>(globals);
            return new RsyncdConf(g, new LinkedHashMap<>(moduleDefaults), out, warnings);
        }
    }
}
