"""Port of Node's test/parallel/tls/ticket-cluster.js
(test-tls-ticket-cluster.js).

Node's file forks four cluster workers, each a tls server, and connects 16
times in a row through the primary (which deals the connections out in
turn), every connection after the first offering the first session it
got. Node shares the ticket keys between cluster workers, so the file
asserts 16 connections, 15 of them resumed: a session made against one
worker resumes on the others.

tlsplug has no cluster module; the same fleet is four Python processes,
each a tlsplug server given the same `ticket_keys` (as a fleet shares
them), dealt the connections in turn by the test (connection i to worker
i mod 4). The counts (connections, resumed, connections per worker) must
be node's, measured in the same run with the node file's scenario. Beside
it, a fleet whose workers keep their own keys resumes only on the worker
that made the session, as four node servers with their own ticketKeys do
(in a cluster node gives every worker the first one's keys, whatever each
was given, so that case is measured outside a cluster)."""
import os
import select
import subprocess
import sys
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from nodeport import LoopTestCase, need_pki, run_until
from nodeport_parity import run_node_file

import tlsplug

WORKERS = 4
REQUESTS = 16
HERE = os.path.dirname(os.path.abspath(__file__))

# The node file's scenario. With OWN=1, no cluster: four servers in one
# process, each with its own ticketKeys, dealt the connections in turn (in
# a cluster node shares the first worker's keys with the others whatever
# each was given: cluster's _getServerData/_setServerData).
NODE = r"""
'use strict';
const tls=require('tls'),cluster=require('cluster'),fs=require('fs'),crypto=require('crypto');
const P=process.env.TLSPLUG_PKI,WORKERS=%d,REQUESTS=%d,OWN=process.env.OWN==='1';
const opts={key:fs.readFileSync(P+'/server.key'),cert:fs.readFileSync(P+'/server-chain.pem')};
if(cluster.isPrimary){
  let listening=0,reused=0,requests=0,session=null,sessions=0;const ports=[],per={};
  setTimeout(()=>{console.log(JSON.stringify({timeout:true}));process.exit(1)},15000).unref();
  const servers=[];
  function verdict(id,msg){if(msg==='reused'||msg==='not-reused')per[id]=(per[id]||0)+1;if(msg==='reused')reused++}
  function shoot(){
    const port=OWN?ports[requests%%WORKERS]:ports[0];
    const c=tls.connect(port,{session,rejectUnauthorized:false},()=>c.on('end',c.end));
    c.once('session',s=>{sessions++;if(!session)session=s});
    c.on('close',()=>{if(++requests<REQUESTS)return shoot();
      for(const id in cluster.workers)cluster.workers[id].send('die');servers.forEach(s=>s.close())});
    c.resume();
  }
  function ready(port){ports.push(port);if(++listening===WORKERS)shoot()}
  for(let i=0;i<WORKERS;i++){
    if(OWN){
      const s=tls.createServer({...opts,ticketKeys:crypto.randomBytes(48)},
        c=>{verdict(i,c.isSessionReused()?'reused':'not-reused');c.end('x')});
      servers.push(s);s.listen(0,'127.0.0.1',()=>ready(s.address().port));
      continue;
    }
    const w=cluster.fork();
    w.on('message',({msg,port})=>{verdict(w.id,msg);if(msg==='listening')ready(port)});
  }
  process.on('exit',()=>console.log(JSON.stringify({requests,reused,sessions,
    perWorker:Object.values(per).sort()})));
  return;
}
const server=tls.createServer(opts,c=>{
  process.send({msg:c.isSessionReused()?'reused':'not-reused'});c.end('x')});
server.listen(0,()=>process.send({msg:'listening',port:server.address().port}));
process.on('message',m=>{if(m==='die')server.close(()=>process.exit())});
""" % (WORKERS, REQUESTS)


class Worker:
    """One worker process (nodeport_parity.ticket_worker)."""

    def __init__(self, keys_hex):
        env = dict(os.environ)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys, nodeport_parity; "
             "nodeport_parity.ticket_worker(sys.argv[1])", keys_hex],
            cwd=HERE, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.port = None

    def wait_listening(self, deadline):
        ready, _, _ = select.select([self.proc.stdout], [], [], max(0, deadline - time.monotonic()))
        line = self.proc.stdout.readline().decode().split() if ready else []
        if line[:1] != ["listening"]:
            raise AssertionError(f"worker did not listen: {line}")
        self.port = int(line[1])

    def die(self):
        """Close its stdin; answers its verdicts, one per connection."""
        out, _ = self.proc.communicate(timeout=15)
        return out.decode().split()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@need_pki
class TicketCluster(LoopTestCase):
    node = {}

    @classmethod
    def setUpClass(cls):
        # the two node runs side by side: each waits mostly on its processes
        with ThreadPoolExecutor(2) as pool:
            runs = {shared: pool.submit(run_node_file, NODE, {"OWN": "0" if shared else "1"})
                    for shared in (True, False)}
            cls.node = {shared: run.result() for shared, run in runs.items()}

    def fleet(self, shared):
        keys = os.urandom(48).hex()
        workers = [Worker(keys if shared else "random") for _ in range(WORKERS)]
        for w in workers:
            self.addCleanup(w.kill)
        deadline = time.monotonic() + 10
        for w in workers:
            w.wait_listening(deadline)
        state = {"requests": 0, "session": None, "closed": False, "sessions": 0}
        for i in range(REQUESTS):
            state["closed"] = False
            c = tlsplug.connect(workers[i % WORKERS].port, "127.0.0.1",
                                session=state["session"], reject_unauthorized=False)
            c.on("secureConnect", lambda c=c: c.on("end", lambda: c.end()))
            c.once("session", lambda s: state.update(session=state["session"] or s,
                                                     sessions=state["sessions"] + 1))
            c.on("data", lambda d: None)
            c.on("close", lambda *a: state.update(closed=True))
            run_until(self, lambda: state["closed"], what=f"connection {i}")
            state["requests"] += 1
        verdicts = [w.die() for w in workers]
        return {"requests": state["requests"], "sessions": state["sessions"],
                "reused": sum(v.count("reused") for v in verdicts),
                "perWorker": sorted(len(v) for v in verdicts)}, verdicts

    def check_counts(self, got, node):
        """Node's counts, and the 'session' events side by side: node's
        server sends tickets only on a full handshake (the node file
        asserts one 'session' in all), tlsplug's on a resumed TLS 1.3
        connection too (NODE_MAP: "a resumed TLS 1.3 connection gets new
        tickets too"), so each of its connections has one."""
        self.assertEqual(node["sessions"], node["requests"] - node["reused"])
        self.assertEqual(got.pop("sessions"), got["requests"])
        node = dict(node)
        node.pop("sessions")
        self.assertEqual(got, node)

    def test_shared_ticket_keys_resume_on_every_worker(self):
        got, verdicts = self.fleet(shared=True)
        self.assertEqual(self.node[True]["requests"], REQUESTS)
        self.assertEqual(self.node[True]["reused"] + 1, self.node[True]["requests"])
        self.assertEqual(self.node[True]["sessions"], 1)
        self.check_counts(got, self.node[True])
        # the session made against worker 0 resumed on each of the others
        for w in verdicts[1:]:
            self.assertEqual(set(w), {"reused"})

    def test_own_ticket_keys_resume_only_where_made(self):
        got, verdicts = self.fleet(shared=False)
        self.check_counts(got, self.node[False])
        self.assertEqual(verdicts[0], ["not-reused"] + ["reused"] * (len(verdicts[0]) - 1))


if __name__ == "__main__":
    unittest.main()
