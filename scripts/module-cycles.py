#!/usr/bin/env python3
"""Lists the cycles among the modules of each crate (strongly connected
components of `crate::`/`super::` references outside `mod tests`).

Usage: scripts/module-cycles.py crates/*/src src
Prints one line per crate with its cycles; `[]` means none. Cargo already
forbids cycles between crates; this keeps the modules inside each layered too.
"""
import os,re,sys
def modname(root,path):
    rel=os.path.relpath(path,root)[:-3]
    parts=rel.split('/')
    if parts[-1] in ('mod','lib'): parts=parts[:-1]
    return '::'.join(parts)
for croot in sys.argv[1:]:
    mods={}
    for d,_,fs in os.walk(croot):
        for f in fs:
            if f.endswith('.rs'):
                p=os.path.join(d,f); mods[modname(croot,p)]=p
    names=set(mods)
    g={m:set() for m in mods}
    for m,p in mods.items():
        s=open(p).read()
        i=s.find('#[cfg(test)]\nmod tests')
        if i>=0: s=s[:i]
        s=re.sub(r'//.*','',s)
        s=re.sub(r'(crate|super)::\{([^}]*)\}', lambda mo: ' '.join(mo.group(1)+'::'+x.strip() for x in mo.group(2).split(',') if x.strip()), s)
        parent=m.rsplit('::',1)[0] if '::' in m else ''
        for mm in re.findall(r'crate::([a-z_]+(?:::[a-z_]+)*)',s):
            parts=mm.split('::')
            for k in range(len(parts),0,-1):
                c='::'.join(parts[:k])
                if c in names: 
                    if c!=m and not m.startswith(c+'::') : g[m].add(c)
                    break
        for mm in re.findall(r'super::([a-z_]+(?:::[a-z_]+)*)',s):
            base=parent
            parts=mm.split('::')
            for k in range(len(parts),0,-1):
                c='::'.join(([base] if base else [])+parts[:k])
                if c in names:
                    if c!=m: g[m].add(c)
                    break
    # find SCCs
    idx={};low={};st=[];on=set();res=[];n=[0]
    def sc(v):
        idx[v]=low[v]=n[0];n[0]+=1;st.append(v);on.add(v)
        for w in g[v]:
            if w not in idx: sc(w);low[v]=min(low[v],low[w])
            elif w in on: low[v]=min(low[v],idx[w])
        if low[v]==idx[v]:
            comp=[]
            while True:
                w=st.pop();on.discard(w);comp.append(w)
                if w==v:break
            if len(comp)>1: res.append(comp)
    for v in g:
        if v not in idx: sc(v)
    print(croot, res)
