/**
 * The transport SPI: how nodes talk. A {@link org.mailcluster.transport.ClusterTransport} serves
 * the local node's {@link org.mailcluster.transport.InboundHandler} and opens {@link
 * org.mailcluster.transport.PeerChannel}s to other nodes. Messages are plain records: unary {@link
 * org.mailcluster.transport.Request}s answered by {@link org.mailcluster.transport.Response}s, and
 * one server stream of {@link org.mailcluster.transport.ReplicationMessage}s per subscribed
 * secondary. Implementations: the gRPC module (production) and the testkit's simulated network.
 *
 * <p><b>Contract for every implementation</b> (checked by the testkit's conformance suite):
 *
 * <ul>
 *   <li><b>Identity.</b> The {@link org.mailcluster.transport.PeerIdentity} handed to the handler
 *       is established by the transport (for example from the peer's TLS certificate), never taken
 *       from a message field.
 *   <li><b>Ordering.</b> Messages of one stream arrive in the order sent, without loss or
 *       duplication, or the stream ends with an error. Unary calls carry no ordering guarantee
 *       relative to each other or to streams.
 *   <li><b>Completion.</b> Every call's future completes exactly once: with the response, or
 *       exceptionally with a {@link org.mailcluster.ClusterException} ({@code UNAVAILABLE} when the
 *       peer cannot be reached or the deadline passed; the handler's own code otherwise). Every
 *       stream ends exactly once, by {@code onCompleted} or {@code onError}, unless it was
 *       cancelled by the receiving side.
 *   <li><b>Threads.</b> Methods may be called from any thread. Callbacks arrive on transport
 *       threads, one at a time per stream; they must not block, and they never throw (an exception
 *       from a callback is logged and ends that stream or call).
 *   <li><b>Limits.</b> Every field of every message has a limit ({@link
 *       org.mailcluster.transport.MessageLimits}), which the records check when they are built. A
 *       transport that reads messages from the network checks them again as it decodes, and refuses
 *       a message that is malformed or breaks a limit with {@code INVALID_VALUE} and a message that
 *       names the field, before it reaches the handler.
 *   <li><b>Flow control.</b> A server stream reports {@link
 *       org.mailcluster.transport.ServerStream#isReady()}; senders stop when it is not ready and
 *       resume on the ready callback, so nothing is buffered without bound.
 * </ul>
 */
package org.mailcluster.transport;
