#!/usr/bin/env node
// An independent gRPC client (grpc-js, not grpc-java) that looks at a mailcluster node from
// outside, the way a load balancer, grpcurl or a stranger would, and prints what it saw as one
// JSON object on standard output. It judges nothing: NodeInteropTest reads the JSON and asserts.
//
//   node interop.js --target 127.0.0.1:7400 --ca ca.pem --protos <dir holding mailcluster/v1>
//       [--stranger-cert other.pem --stranger-key other-key.pem]
//       [--member-cert node.pem --member-key node-key.pem]
//
// Every connection uses TLS and trusts only the cluster CA (--ca). What it does:
//   health          grpc.health.v1.Health/Check for "", the role names and an unknown name,
//                   without a client certificate
//   reflection      list_services and file_containing_symbol(mailcluster.v1.Cluster) over the
//                   v1 and the v1alpha reflection services, without a client certificate
//   pingWithoutCertificate      mailcluster.v1.Cluster/Ping with the protocol header, no certificate
//   pingWithStrangerCertificate the same with --stranger-cert (issued by another CA)
//   pingAsMember                the same with --member-cert (issued by the cluster CA)
//   pingWithoutProtocolHeader   --member-cert again, but without the mailcluster-protocol header
//   zoneAsMember                mailcluster.v1.Cluster/Zone with --member-cert
//   joinWithOverlongNode        mailcluster.v1.Cluster/Join with --member-cert and a node id of 70
//                               characters, above the protocol's limit
// A call's outcome is {"ok": true, "response": ...} or {"ok": false, "code": N, "codeName": ...,
// "details": ..., "errorTrailer": ...}. Exit status: 0 once the JSON is printed, 2 on bad usage.
'use strict';

if (Number(process.versions.node.split('.')[0]) < 18) {
  process.stderr.write(`interop.js needs Node.js 18 or newer, not ${process.version}: upgrade it\n`);
  process.exit(2);
}

const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const DEADLINE_MS = 15000;
const HEALTH_NAMES = ['', 'mailcluster.v1.Cluster', 'mailcluster.role.primary',
  'mailcluster.role.secondary', 'no.such.service'];
const PROTOCOL_HEADER = 'mailcluster-protocol';
const PROTOCOL_VERSION = '1';
const ERROR_TRAILER = 'mailcluster-error';

function usage(problem) {
  process.stderr.write(
    `interop.js: ${problem}\n` +
    'usage: node interop.js --target HOST:PORT --ca CA.pem --protos DIR\n' +
    '         [--stranger-cert CERT.pem --stranger-key KEY.pem]\n' +
    '         [--member-cert CERT.pem --member-key KEY.pem]\n' +
    '  DIR is the folder that holds mailcluster/v1/cluster.proto\n');
  process.exit(2);
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        target: { type: 'string' },
        ca: { type: 'string' },
        protos: { type: 'string' },
        'stranger-cert': { type: 'string' },
        'stranger-key': { type: 'string' },
        'member-cert': { type: 'string' },
        'member-key': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    usage(e.message);
  }
  for (const required of ['target', 'ca', 'protos']) {
    if (!parsed[required]) usage(`--${required} is required`);
  }
  for (const who of ['stranger', 'member']) {
    if (!parsed[`${who}-cert`] !== !parsed[`${who}-key`]) {
      usage(`--${who}-cert and --${who}-key go together`);
    }
  }
  const clusterProto = path.join(parsed.protos, 'mailcluster', 'v1', 'cluster.proto');
  if (!fs.existsSync(clusterProto)) usage(`no ${clusterProto}: --protos names the wrong folder`);
  return parsed;
}

function read(file) {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    usage(`cannot read ${file}: ${e.message}`);
  }
}

function load(file, includeDirs) {
  const definition = protoLoader.loadSync(file, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs,
  });
  return grpc.loadPackageDefinition(definition);
}

function codeName(code) {
  return Object.keys(grpc.status).find((k) => grpc.status[k] === code) || String(code);
}

function failure(error) {
  const trailer = error.metadata ? error.metadata.get(ERROR_TRAILER) : [];
  return {
    ok: false,
    code: error.code,
    codeName: codeName(error.code),
    details: error.details || error.message,
    errorTrailer: trailer.length > 0 ? String(trailer[0]) : null,
  };
}

function deadline() {
  return new Date(Date.now() + DEADLINE_MS);
}

function unary(client, method, request, metadata) {
  return new Promise((resolve) => {
    client[method](request, metadata || new grpc.Metadata(), { deadline: deadline() },
      (error, response) => resolve(error ? failure(error) : { ok: true, response }));
  });
}

// One reflection request on its own stream: write, read one answer, half-close.
function reflect(client, request) {
  return new Promise((resolve) => {
    const call = client.ServerReflectionInfo({ deadline: deadline() });
    let answer = null;
    call.on('data', (response) => {
      answer = response;
      call.end();
    });
    call.on('error', (error) => resolve(failure(error)));
    call.on('end', () => resolve(answer
      ? { ok: true, response: answer }
      : { ok: false, code: null, codeName: null, details: 'the stream ended without an answer',
        errorTrailer: null }));
    call.write(request);
  });
}

async function reflection(Service, target, credentials) {
  const client = new Service(target, credentials);
  try {
    const listed = await reflect(client, { host: '', list_services: '' });
    const out = {};
    if (!listed.ok) {
      out.listServices = listed;
    } else if (listed.response.error_response) {
      out.listServices = { ok: false, error: listed.response.error_response };
    } else {
      out.services = listed.response.list_services_response.service.map((s) => s.name).sort();
    }
    const described = await reflect(client,
      { host: '', file_containing_symbol: 'mailcluster.v1.Cluster' });
    if (!described.ok) {
      out.clusterSymbol = described;
    } else if (described.response.error_response) {
      out.clusterSymbol = { ok: false, error: described.response.error_response };
    } else {
      out.clusterSymbol = {
        ok: true,
        files: described.response.file_descriptor_response.file_descriptor_proto.map((f) => ({
          name: f.name,
          package: f.package,
          dependencies: f.dependency,
          services: f.service.map((s) => ({
            name: s.name,
            methods: s.method.map((m) => ({
              name: m.name,
              inputType: m.input_type,
              outputType: m.output_type,
              clientStreaming: m.client_streaming,
              serverStreaming: m.server_streaming,
            })),
          })),
        })),
      };
    }
    return out;
  } finally {
    client.close();
  }
}

async function health(Health, target, credentials) {
  const client = new Health(target, credentials);
  try {
    const out = {};
    for (const name of HEALTH_NAMES) {
      const answer = await unary(client, 'Check', { service: name });
      out[name] = answer.ok ? { ok: true, status: answer.response.status } : answer;
    }
    return out;
  } finally {
    client.close();
  }
}

async function ping(Cluster, target, credentials, withHeader) {
  const client = new Cluster(target, credentials);
  try {
    const metadata = new grpc.Metadata();
    if (withHeader) metadata.set(PROTOCOL_HEADER, PROTOCOL_VERSION);
    const now = Date.now();
    const sentAt = { seconds: String(Math.floor(now / 1000)), nanos: (now % 1000) * 1e6 };
    return await unary(client, 'Ping', { sent_at: sentAt, epoch: '0' }, metadata);
  } finally {
    client.close();
  }
}

async function call(Cluster, target, credentials, method, request) {
  const client = new Cluster(target, credentials);
  try {
    const metadata = new grpc.Metadata();
    metadata.set(PROTOCOL_HEADER, PROTOCOL_VERSION);
    return await unary(client, method, request, metadata);
  } finally {
    client.close();
  }
}

function versionOf(pkg) {
  try {
    return require(`${pkg}/package.json`).version;
  } catch (e) {
    return null;
  }
}

async function main() {
  const args = options();
  const ca = read(args.ca);
  const own = [path.join(__dirname, 'protos')];
  const Health = load('grpc/health/v1/health.proto', own).grpc.health.v1.Health;
  const reflectionV1 = load('grpc/reflection/v1/reflection.proto', own).grpc.reflection.v1;
  const reflectionV1alpha =
    load('grpc/reflection/v1alpha/reflection.proto', own).grpc.reflection.v1alpha;
  const Cluster = load('mailcluster/v1/cluster.proto', [args.protos]).mailcluster.v1.Cluster;

  const anonymous = grpc.credentials.createSsl(ca);
  const result = {
    client: {
      node: process.version,
      grpcJs: versionOf('@grpc/grpc-js'),
      protoLoader: versionOf('@grpc/proto-loader'),
    },
    target: args.target,
    health: await health(Health, args.target, anonymous),
    reflection: {
      v1: await reflection(reflectionV1.ServerReflection, args.target, anonymous),
      v1alpha: await reflection(reflectionV1alpha.ServerReflection, args.target, anonymous),
    },
    pingWithoutCertificate: await ping(Cluster, args.target, anonymous, true),
  };
  if (args['stranger-cert']) {
    const stranger = grpc.credentials.createSsl(
      ca, read(args['stranger-key']), read(args['stranger-cert']));
    result.pingWithStrangerCertificate = await ping(Cluster, args.target, stranger, true);
  }
  if (args['member-cert']) {
    const member = () => grpc.credentials.createSsl(
      ca, read(args['member-key']), read(args['member-cert']));
    result.pingAsMember = await ping(Cluster, args.target, member(), true);
    result.pingWithoutProtocolHeader = await ping(Cluster, args.target, member(), false);
    result.zoneAsMember = await call(Cluster, args.target, member(), 'Zone', { epoch: '0' });
    result.joinWithOverlongNode = await call(Cluster, args.target, member(), 'Join', {
      node: 'm'.repeat(70),
      address: '127.0.0.1:9',
      protocol_version: 1,
      product_version: '23.5.2',
      licence_fingerprint: 'f',
      epoch: '0',
    });
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e) => {
  process.stderr.write(`interop.js failed: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
