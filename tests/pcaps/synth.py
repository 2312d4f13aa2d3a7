#!/usr/bin/env python3
"""Write the synthetic test captures tests/pcaps/synth-*.pcap (pcap, microsecond).

Hand-built frames for what the public captures lack: tunnels apnwatch does not
open (GRE, IP-in-IP, 6in4, VXLAN, ESP), SCTP and OSPF, ICMP/ICMPv6 errors
quoting a packet, GTP-U corner cases (nested GTP-U, echo, G-PDU on a non-2152
source port and on the GTP-C port), IP fragments (out of order, never
completed, IPv6) and snap-length cuts, QinQ/MPLS/PPPoE, and the link types
Linux SLL2 (276), OpenBSD loopback (108) and raw IP (12, 101).
TCP SYN after a one-sided FIN. Addresses are documentation/private ranges. Deterministic: same bytes every run.
Usage: cd tests/pcaps && python3 synth.py
"""
import struct, socket
def csum(b):
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('!%dH'%(len(b)//2),b)); s=(s>>16)+(s&0xffff); s+=s>>16; return (~s)&0xffff
def ip4(src,dst,proto,payload,ident=1,frag=0,mf=0):
    h=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(payload),ident,(mf<<13)|frag,64,proto,0,socket.inet_aton(src),socket.inet_aton(dst))
    return h[:10]+struct.pack('!H',csum(h))+h[12:]+payload
def ip6(src,dst,nh,payload):
    return struct.pack('!IHBB16s16s',0x60000000,len(payload),nh,64,socket.inet_pton(socket.AF_INET6,src),socket.inet_pton(socket.AF_INET6,dst))+payload
def tcp(sp,dp,flags,payload=b'',seq=1):
    return struct.pack('!HHIIBBHHH',sp,dp,seq,0,5<<4,flags,65535,0,0)+payload
def udp(sp,dp,payload=b''):
    return struct.pack('!HHHH',sp,dp,8+len(payload),0)+payload
def icmp(t,c,payload=b''):
    return struct.pack('!BBHI',t,c,0,0)+payload
def eth(payload,et=0x0800):
    return b'\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb'+struct.pack('!H',et)+payload
def gre(inner,proto=0x0800):
    return struct.pack('!HH',0,proto)+inner
def gtpu(teid,inner,msg=0xff):
    return struct.pack('!BBHI',0x30,msg,len(inner),teid)+inner
def write(name,linktype,frames,times=None):
    """frames: bytes, or (bytes, caplen) for a snap-length cut; 10 ms apart unless times (s) given."""
    out=struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,linktype)
    for i,f in enumerate(frames):
        if isinstance(f,tuple): f,caplen=f
        else: caplen=len(f)
        us=1700000000*1000000+(round(times[i]*1e6) if times else i*10000)
        out+=struct.pack('<IIII',us//1000000,us%1000000,caplen,len(f))+f[:caplen]
    open(name,'wb').write(out)
D,S='10.0.0.1','192.0.2.1'
D6,S6='fd00::1','2001:db8::1'
SYN,ACK,FIN,RST,PSH=2,16,1,4,8
# tunnels apnwatch does not open: flows at the outer layer
write('synth-tunnels.pcap',1,[
  eth(ip4('198.51.100.1','198.51.100.2',47,gre(ip4(D,S,6,tcp(1000,80,SYN))))),         # GRE
  eth(ip4('198.51.100.2','198.51.100.1',47,gre(ip4(S,D,6,tcp(80,1000,SYN|ACK))))),
  eth(ip4('198.51.100.3','198.51.100.4',4,ip4(D,S,17,udp(5000,53,b'x'*10)))),           # IP-in-IP
  eth(ip4('198.51.100.5','198.51.100.6',41,ip6(D6,S6,17,udp(5000,53,b'y'*10)))),        # 6in4
  eth(ip4('198.51.100.7','198.51.100.8',17,udp(40000,4789,struct.pack('!II',0x08000000,100<<8)+eth(ip4(D,S,6,tcp(1,2,SYN)))))),  # VXLAN
  eth(ip4('198.51.100.9','198.51.100.10',50,b'\x00\x00\x10\x01'+b'\x00'*40)),           # ESP
  eth(ip4('198.51.100.11','198.51.100.12',132,struct.pack('!HHII',2905,2905,1,0)+b'\x00'*16)),  # SCTP
  eth(ip4('198.51.100.13','224.0.0.5',89,b'\x02\x01\x00\x2c'+b'\x00'*40)),               # OSPF
  eth(ip4(S,D,1,icmp(3,3,ip4(D,S,17,udp(5000,53,b'z'*8))))),                             # ICMP error quoting UDP
  eth(ip4(D,S,17,udp(5000,53,b'q'*8))),                                                  # the quoted flow itself
  eth(ip6(S6,D6,58,icmp(1,4,ip6(D6,S6,17,udp(5001,53,b'w'*8)))),0x86dd),                # ICMPv6 error
  eth(ip4(D,S,0,b'')),                                                                   # proto 0 (HOPOPT) empty
  eth(ip4(D,S,253,b'experimental')),                                                     # proto 253
])
# GTP-U corner cases
write('synth-gtpu.pcap',1,[
  eth(ip4('198.51.100.20','198.51.100.21',17,udp(2152,2152,gtpu(7,ip4(D,S,6,tcp(1000,443,SYN)))))),
  eth(ip4('198.51.100.21','198.51.100.20',17,udp(2152,2152,gtpu(8,ip4(S,D,6,tcp(443,1000,SYN|ACK)))))),
  eth(ip4('198.51.100.20','198.51.100.21',17,udp(2152,2152,gtpu(7,ip6(D6,S6,58,icmp(128,0,b'ping')))))),
  eth(ip4('198.51.100.20','198.51.100.21',17,udp(2152,2152,gtpu(7,b'',msg=1)))),          # echo request
  eth(ip4('198.51.100.20','198.51.100.21',17,udp(2152,2152,gtpu(7,ip4('198.51.100.30','198.51.100.31',17,udp(2152,2152,gtpu(9,ip4(D,S,17,udp(7,7,b'nested'))))))))),  # GTP in GTP
  eth(ip4('198.51.100.20','198.51.100.21',17,udp(33333,2152,gtpu(7,ip4(D,S,17,udp(6000,123,b'ntp')))))),  # src port not 2152
  eth(ip4('198.51.100.20','198.51.100.21',17,udp(2123,2123,gtpu(7,ip4(D,S,17,udp(6001,123,b'ntp')))))),  # G-PDU on 2123: GTP-C port, not opened
])
# link types
inner=[ip4(D,S,6,tcp(1000,80,SYN)), ip4(S,D,6,tcp(80,1000,SYN|ACK)), ip6(D6,S6,17,udp(5000,53,b'v6'))]
write('synth-raw12.pcap',12,inner)
write('synth-raw101.pcap',101,inner)
write('synth-loop108.pcap',108,[struct.pack('!I',2)+inner[0],struct.pack('!I',2)+inner[1],struct.pack('!I',24)+inner[2]])
def sll2(p,proto): return struct.pack('!HHIHBB8s',proto,0,1,1,0,6,b'\x00\x11\x22\x33\x44\x55\x00\x00')+p
write('synth-sll2.pcap',276,[sll2(inner[0],0x800),sll2(inner[1],0x800),sll2(inner[2],0x86dd)])
def qinq(p):
    return b'\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb'+struct.pack('!HHHHH',0x88a8,100,0x8100,200,0x0800)+p
def mpls(p,labels):
    out=b''
    for i,l in enumerate(labels):
        out+=struct.pack('!I',(l<<12)|((1 if i==len(labels)-1 else 0)<<8)|64)
    return b'\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb'+struct.pack('!H',0x8847)+out+p
def pppoe(p,proto=0x0021):
    return b'\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb'+struct.pack('!HBBHHH',0x8864,0x11,0,1,len(p)+2,proto)+p
write('synth-l2.pcap',1,[qinq(inner[0]),qinq(inner[1]),mpls(inner[2],[16,17,18]),pppoe(ip4(D,S,17,udp(7000,53,b'p'))),
  pppoe(ip6(D6,S6,17,udp(7001,53,b'p6')),0x0057),
  eth(b'\x00\x01\x08\x00\x06\x04\x00\x01'+b'\x00'*20,0x0806)])
# fragments: out of order, overlapping, incomplete, IPv6 frags; truncated frames
pl=udp(8000,53,b'A'*100)
f1=ip4(D,S,17,pl[:48],ident=77,frag=0,mf=1); f2=ip4(D,S,17,pl[48:96],ident=77,frag=6,mf=1); f3=ip4(D,S,17,pl[96:],ident=77,frag=12,mf=0)
g1=ip4(D,S,17,pl[:48],ident=78,frag=0,mf=1)  # never completed
def ip6frag(src,dst,nh,chunk,off,m,ident):
    return ip6(src,dst,44,struct.pack('!BBHI',nh,0,(off<<3)|m,ident)+chunk)
q=udp(8001,53,b'B'*100)
write('synth-frags.pcap',1,[eth(f3),eth(f1),eth(f2),eth(g1),
  eth(ip6frag(D6,S6,17,q[:56],0,1,5),0x86dd),eth(ip6frag(D6,S6,17,q[56:],7,0,5),0x86dd),
  (eth(ip4(D,S,6,tcp(1234,80,ACK|PSH,b'C'*50))),14+20+10),   # snaplen cuts TCP header
  (eth(ip4(D,S,6,tcp(1234,80,ACK|PSH,b'C'*50))),14+20+20+5),
])
# TCP: handshake, a FIN from the client only, then a new SYN 0.7 s later:
# the contract says the SYN starts a new flow (two flow events).
write('synth-tcp-syn-after-fin.pcap',1,[
  eth(ip4(D,S,6,tcp(1000,80,SYN))),eth(ip4(S,D,6,tcp(80,1000,SYN|ACK))),eth(ip4(D,S,6,tcp(1000,80,ACK))),
  eth(ip4(D,S,6,tcp(1000,80,FIN|ACK))),
  eth(ip4(D,S,6,tcp(1000,80,SYN))),eth(ip4(S,D,6,tcp(80,1000,SYN|ACK))),eth(ip4(D,S,6,tcp(1000,80,ACK)))],
  times=[0.0,0.1,0.2,0.3,1.0,1.1,1.2])
