package io.camelrsync.component;

import io.camelrsync.client.PushOptions;
import io.camelrsync.client.RsyncTarget;
import io.camelrsync.filter.FilterRules;
import io.camelrsync.protocol.Compression;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.jsse.SSLContextParameters;

/**
 * Push a local directory, or a change set within it, to an rsync daemon (stock rsync 3.0 to 3.5, protocols
 * 30 to 32) with rsync's own wire protocol, implemented in Java; or, as a consumer, be the daemon that stock
 * rsync clients push to (over TLS for rsync-ssl when configured), one exchange per finished push.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "rsync", title = "Rsync", syntax = "rsync:host:port/module",
        category = {Category.FILE}, headersClass = RsyncConstants.class)
public class RsyncEndpoint extends DefaultEndpoint {
    private static final int PORT_NOT_GIVEN = -1;

    @UriPath(description = "Host name or address of the rsync daemon (producer), or the address to listen on"
            + " (consumer, e.g. 0.0.0.0)")
    @Metadata(required = true)
    private String host;
    @UriPath(description = "TCP port of the rsync daemon; the consumer's default with TLS is rsync-ssl's 874",
            defaultValue = "873")
    private Integer port;
    @UriPath(description = "The daemon's module, optionally followed by a path inside it (module/sub/dir);"
            + " required for the producer, unused by the consumer, whose modules come from its config")
    private String module;

    @UriParam(label = "producer", description = "The local directory whose contents are pushed (required for the"
            + " producer); with pull=true, the directory the module path is fetched into")
    private String source;
    @UriParam(label = "producer", description = "Fetch the module path into the source directory instead of"
            + " pushing (camel-rsync pull: a restore); the body is ignored", defaultValue = "false")
    private boolean pull;
    @UriParam(label = "consumer", description = "The rsyncd.conf whose modules the consumer serves (required for"
            + " the consumer)")
    private String config;
    @UriParam(label = "consumer,security", description = "PEM certificate chain (server certificate first) for"
            + " TLS; with sslKeyFile the consumer speaks TLS only, as rsync-ssl clients do")
    private String sslCertFile;
    @UriParam(label = "consumer,security", description = "PEM private key of sslCertFile, unencrypted PKCS#8"
            + " (BEGIN PRIVATE KEY)")
    private String sslKeyFile;
    @UriParam(label = "security", description = "TLS configured the Camel way: the consumer's key and certificate"
            + " (instead of sslCertFile and sslKeyFile), the producer's trusted CAs (with ssl=true)")
    private SSLContextParameters sslContextParameters;
    @UriParam(label = "producer,security", description = "Push over TLS, as rsync-ssl does (default port 874); the"
            + " daemon's certificate is verified, chain and host name", defaultValue = "false")
    private boolean ssl;
    @UriParam(label = "producer,security", description = "PEM file of the CA certificates to trust with ssl=true"
            + " (rsync-ssl's RSYNC_SSL_CA_CERT); default: the JDK's trust store")
    private String sslCaCert;
    @UriParam(label = "security", description = "Login name for modules with auth users (default: $USER)")
    private String username;
    @UriParam(label = "security", secret = true, description = "Password for the module")
    private String password;
    @UriParam(label = "security", description = "File whose first line is the password; must not be readable"
            + " by others, as rsync requires")
    private String passwordFile;
    @UriParam(description = "Delete files on the target that are not in the source (rsync --delete); excluded"
            + " paths are protected", defaultValue = "false")
    private boolean delete;
    @UriParam(description = "The receiver keeps what the push replaces or deletes (rsync --backup, -b): renamed"
            + " with the suffix beside it, or moved into backupDir", defaultValue = "false")
    private boolean backup;
    @UriParam(description = "Where the receiver keeps what the push replaces or deletes, under their paths (rsync"
            + " --backup-dir, implies backup): relative to the destination; on a daemon an absolute path starts at"
            + " the module's root. Exclude it when it lies inside a destination pushed with delete")
    private String backupDir;
    @UriParam(description = "Appended to the name of each backup (rsync --suffix); by default a tilde without"
            + " backupDir and nothing with it")
    private String suffix;
    @UriParam(description = "Preserve what rsync -a preserves: recursion, symlinks, permissions, times, group,"
            + " owner, devices and specials", defaultValue = "true")
    private boolean archive = true;
    @UriParam(description = "Preserve hard links (rsync -H)", defaultValue = "false")
    private boolean hardLinks;
    @UriParam(description = "Exclude patterns in rsync syntax, separated by commas (rsync --exclude)")
    private String excludes;
    @UriParam(description = "A file of exclude patterns, one a line (rsync --exclude-from)")
    private String excludeFrom;
    @UriParam(description = "Include patterns in rsync syntax, separated by commas, placed before the excludes"
            + " (rsync --include)")
    private String includes;
    @UriParam(description = "Block checksum: auto negotiates the strongest the daemon has", defaultValue = "auto",
            enums = "auto,xxh128,xxh3,xxh64,md5")
    private String checksum = "auto";
    @UriParam(label = "advanced", description = "Seconds without any progress before the push fails"
            + " (rsync --timeout); 0 means 600", defaultValue = "0")
    private int timeout;
    @UriParam(label = "advanced", description = "Seconds to wait for the TCP connection (rsync --contimeout)",
            defaultValue = "30")
    private int connectTimeout = 30;
    @UriParam(label = "advanced", description = "Bandwidth limit in KiB per second for what the push writes, sent"
            + " to the daemon too (rsync --bwlimit); 0 means none", defaultValue = "0")
    private int bwlimit;
    @UriParam(description = "Compress file data on the wire (rsync -z): the compressor is negotiated with the daemon"
            + " (zstd, lz4, zlibx, zlib: the strongest both have; zlib before protocol 32) unless compressChoice"
            + " names one", defaultValue = "false")
    private boolean compress;
    @UriParam(label = "advanced", description = "The compressor for compress=true (rsync --compress-choice); auto"
            + " negotiates", defaultValue = "auto", enums = "auto,zstd,lz4,zlibx,zlib")
    private String compressChoice = "auto";
    @UriParam(label = "advanced", description = "Compression level (rsync --compress-level): zlib 1-9 (default 6),"
            + " zstd -131072..20 (default 3), ignored by lz4; unset: the compressor's default")
    private Integer compressLevel;
    @UriParam(label = "advanced", description = "Highest protocol version to offer", defaultValue = "32",
            enums = "30,31,32")
    private int protocol = 32;
    @UriParam(label = "advanced", description = "Send uid and gid numbers instead of names (rsync --numeric-ids)",
            defaultValue = "false")
    private boolean numericIds;
    @UriParam(label = "advanced", description = "Ask the daemon what it would change without changing anything"
            + " (rsync --dry-run)", defaultValue = "false")
    private boolean dryRun;

    /** One push at a time per target, so a later change set can never overtake an earlier one. */
    private final Object pushLock = new Object();
    /** Set when the daemon refused the options that send moved paths with their old copy as basis. */
    private volatile boolean basisRefused;

    public RsyncEndpoint(String uri, RsyncComponent component) {
        super(uri, component);
    }

    /** Splits the URI's "host:port/module/path" part; the port stays unset when the URI has none. */
    void parseAddress(String remaining) {
        boolean hasModule = remaining.contains("/"); // a consumer's "0.0.0.0:873" names no module
        RsyncTarget t = RsyncTarget.parse("rsync://" + remaining + (hasModule ? "" : "/-"), PORT_NOT_GIVEN);
        host = t.host();
        port = t.port() == PORT_NOT_GIVEN ? null : t.port();
        if (hasModule) {
            module = t.path().isEmpty() ? t.module() : t.module() + "/" + t.path();
        }
    }

    @Override
    public Producer createProducer() {
        if (module == null || module.isBlank()) {
            throw new IllegalArgumentException("rsync endpoint " + getEndpointUri() + " needs a module to push to"
                    + " (rsync://host:port/module)");
        }
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("rsync endpoint " + getEndpointUri() + " needs the source option"
                    + " (the local directory to push)");
        }
        PushOptions backups = PushOptions.none(); // a bad suffix fails the route's start, not every push
        backups.backup = backup;
        backups.backupDir = backupDir;
        backups.suffix = suffix;
        try {
            backups.checkBackupOptions();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rsync endpoint " + getEndpointUri() + ": " + e.getMessage(), e);
        }
        return new RsyncProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        RsyncConsumer consumer = new RsyncConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    RsyncTarget target() {
        int p = port != null ? port : ssl ? 874 : RsyncTarget.DEFAULT_PORT;
        return RsyncTarget.parse("rsync://" + host + ":" + p + "/" + module, p);
    }

    /** The push options these endpoint options stand for. */
    PushOptions pushOptions() throws IOException {
        PushOptions o = archive ? new PushOptions() : PushOptions.none();
        o.hardLinks = hardLinks;
        o.delete = delete;
        o.dryRun = dryRun;
        o.numericIds = numericIds;
        o.user = username;
        o.password = password;
        o.passwordFile = passwordFile == null ? null : Path.of(passwordFile);
        o.checksumChoice = checksum;
        o.timeoutSeconds = timeout;
        o.connectTimeoutSeconds = connectTimeout;
        o.tls = ssl;
        o.sslCaCert = sslCaCert == null ? null : Path.of(sslCaCert);
        if (ssl && sslContextParameters != null) {
            try {
                o.sslContext = sslContextParameters.createSSLContext(getCamelContext());
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException("sslContextParameters of " + getEndpointUri() + ": " + e.getMessage(), e);
            }
        }
        o.bwlimit = bwlimit;
        o.compress = compress;
        if (!"auto".equalsIgnoreCase(compressChoice) && Compression.byName(compressChoice).isEmpty()) {
            throw new IllegalArgumentException("compressChoice of " + getEndpointUri() + ": unknown compress name "
                    + compressChoice + " (choose from auto, " + Compression.offeredList() + ")");
        }
        o.compressChoice = "auto".equalsIgnoreCase(compressChoice) ? null : compressChoice;
        o.compressLevel = compressLevel == null ? Compression.LEVEL_NOT_SPECIFIED : compressLevel;
        o.protocol = protocol;
        o.backup = backup;
        o.backupDir = backupDir;
        o.suffix = suffix;
        FilterRules rules = FilterRules.empty();
        for (String p : split(includes)) {
            rules = rules.withInclude(p);
        }
        for (String p : split(excludes)) {
            rules = rules.withExclude(p);
        }
        if (excludeFrom != null) {
            rules = rules.withExcludeFrom(Path.of(excludeFrom));
        }
        o.filters = rules;
        o.sendMovesWithBasis = !basisRefused;
        return o;
    }

    /** The daemon refused --link-dest/--fuzzy once: later pushes send moved paths whole without asking again. */
    void basisRefused() {
        basisRefused = true;
    }

    private static String[] split(String list) {
        return list == null || list.isBlank() ? new String[0] : list.trim().split("\\s*,\\s*");
    }

    Object pushLock() {
        return pushLock;
    }

    public String getHost() {
        return host;
    }

    public void setHost(String host) {
        this.host = host;
    }

    public Integer getPort() {
        return port;
    }

    public void setPort(Integer port) {
        this.port = port;
    }

    public String getModule() {
        return module;
    }

    public void setModule(String module) {
        this.module = module;
    }

    public String getSource() {
        return source;
    }

    public void setSource(String source) {
        this.source = source;
    }

    public String getConfig() {
        return config;
    }

    public void setConfig(String config) {
        this.config = config;
    }

    public String getSslCertFile() {
        return sslCertFile;
    }

    public void setSslCertFile(String sslCertFile) {
        this.sslCertFile = sslCertFile;
    }

    public String getSslKeyFile() {
        return sslKeyFile;
    }

    public void setSslKeyFile(String sslKeyFile) {
        this.sslKeyFile = sslKeyFile;
    }

    public SSLContextParameters getSslContextParameters() {
        return sslContextParameters;
    }

    public void setSslContextParameters(SSLContextParameters sslContextParameters) {
        this.sslContextParameters = sslContextParameters;
    }

    public String getUsername() {
        return username;
    }

    public void setUsername(String username) {
        this.username = username;
    }

    public String getPassword() {
        return password;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    public String getPasswordFile() {
        return passwordFile;
    }

    public void setPasswordFile(String passwordFile) {
        this.passwordFile = passwordFile;
    }

    public boolean isDelete() {
        return delete;
    }

    public void setDelete(boolean delete) {
        this.delete = delete;
    }

    public boolean isBackup() {
        return backup;
    }

    public void setBackup(boolean backup) {
        this.backup = backup;
    }

    public String getBackupDir() {
        return backupDir;
    }

    public void setBackupDir(String backupDir) {
        this.backupDir = backupDir;
    }

    public String getSuffix() {
        return suffix;
    }

    public void setSuffix(String suffix) {
        this.suffix = suffix;
    }

    public boolean isArchive() {
        return archive;
    }

    public void setArchive(boolean archive) {
        this.archive = archive;
    }

    public boolean isHardLinks() {
        return hardLinks;
    }

    public void setHardLinks(boolean hardLinks) {
        this.hardLinks = hardLinks;
    }

    public String getExcludes() {
        return excludes;
    }

    public void setExcludes(String excludes) {
        this.excludes = excludes;
    }

    public String getExcludeFrom() {
        return excludeFrom;
    }

    public void setExcludeFrom(String excludeFrom) {
        this.excludeFrom = excludeFrom;
    }

    public String getIncludes() {
        return includes;
    }

    public void setIncludes(String includes) {
        this.includes = includes;
    }

    public String getChecksum() {
        return checksum;
    }

    public void setChecksum(String checksum) {
        this.checksum = checksum;
    }

    public int getTimeout() {
        return timeout;
    }

    public void setTimeout(int timeout) {
        this.timeout = timeout;
    }

    public int getConnectTimeout() {
        return connectTimeout;
    }

    public boolean isPull() {
        return pull;
    }

    public void setPull(boolean pull) {
        this.pull = pull;
    }

    public boolean isSsl() {
        return ssl;
    }

    public void setSsl(boolean ssl) {
        this.ssl = ssl;
    }

    public String getSslCaCert() {
        return sslCaCert;
    }

    public void setSslCaCert(String sslCaCert) {
        this.sslCaCert = sslCaCert;
    }

    public boolean isCompress() {
        return compress;
    }

    public void setCompress(boolean compress) {
        this.compress = compress;
    }

    public String getCompressChoice() {
        return compressChoice;
    }

    public void setCompressChoice(String compressChoice) {
        this.compressChoice = compressChoice;
    }

    public Integer getCompressLevel() {
        return compressLevel;
    }

    public void setCompressLevel(Integer compressLevel) {
        this.compressLevel = compressLevel;
    }

    public int getBwlimit() {
        return bwlimit;
    }

    public void setBwlimit(int bwlimit) {
        this.bwlimit = bwlimit;
    }

    public void setConnectTimeout(int connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public int getProtocol() {
        return protocol;
    }

    public void setProtocol(int protocol) {
        this.protocol = protocol;
    }

    public boolean isNumericIds() {
        return numericIds;
    }

    public void setNumericIds(boolean numericIds) {
        this.numericIds = numericIds;
    }

    public boolean isDryRun() {
        return dryRun;
    }

    public void setDryRun(boolean dryRun) {
        this.dryRun = dryRun;
    }
}
