package io.camelrsync.daemon;

import io.camelrsync.filter.FilterRules;
import io.camelrsync.fs.Names;
import io.camelrsync.protocol.Limits;
import io.camelrsync.protocol.RsyncException;
import io.camelrsync.protocol.WireInput;
import java.io.IOException;

/** exclude.c recv_filter_list: the rules a client sends, each bounded, as the receiver's or the sender's. */
final class ClientRules {
    private ClientRules() {
    }

    /**
     * Reads rules up to the empty one that ends them; names in rules are bytes, as in the file list.
     *
     * @throws IllegalArgumentException for a rule this daemon does not take (its message names it)
     */
    static FilterRules read(WireInput data, boolean sender) throws IOException {
        FilterRules rules = FilterRules.empty();
        for (int len; (len = data.readInt()) != 0; ) {
            if (len < 0 || len >= Limits.MAX_RULE) {
                throw RsyncException.protocol("filter rule of " + len + " bytes");
            }
            String rule = Names.decode(data.readBytes(len, Limits.MAX_RULE, "filter rule"));
            rules = sender ? rules.withSenderRule(rule) : rules.withReceiverRule(rule);
        }
        return rules;
    }
}
