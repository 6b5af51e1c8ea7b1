import { ownerOf, sitesOf } from '../../bench/allocations';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9, columnNumber: 0 });

describe('bench:allocations', () => {
  it('names the owner of a frame: a package, a project file, or nobody for node and V8', () => {
    expect(ownerOf('file:///w/node_modules/@apollo/server/dist/cjs/runHttpQuery.js')).toBe('@apollo/server');
    expect(ownerOf('/w/node_modules/pg/node_modules/pg-protocol/dist/parser.js')).toBe('pg-protocol');
    expect(ownerOf('/w/dist/src/audit/audit-record.js')).toBe('src/audit/audit-record.js');
    expect(ownerOf('file:///w/dist/bench/ipc.js')).toBe('bench/ipc.js');
    expect(ownerOf('node:internal/streams/writable')).toBeUndefined();
    expect(ownerOf('')).toBeUndefined();
  });

  it('charges each sample to its function, and to the nearest owner above it when node allocated it', () => {
    const profile = {
      head: {
        id: 1,
        callFrame: frame('(root)', ''),
        selfSize: 0,
        children: [
          {
            id: 2,
            callFrame: frame('serve', '/w/dist/src/http/http-transport.js'),
            selfSize: 0,
            children: [{ id: 3, callFrame: frame('write', 'node:_http_outgoing'), selfSize: 0, children: [] }],
          },
          { id: 4, callFrame: frame('(V8 API)', ''), selfSize: 0, children: [] },
        ],
      },
      samples: [
        { size: 4096, nodeId: 3 },
        { size: 8192, nodeId: 3 },
        { size: 4000, nodeId: 2 },
        { size: 5000, nodeId: 4 },
      ],
    };
    const { bySite, byOwner, total } = sitesOf(profile);
    expect(total).toEqual({ bytes: 21288, samples: 4 });
    expect(Object.fromEntries(byOwner)).toEqual({
      'src/http/http-transport.js': { bytes: 16288, samples: 3 },
      '(node, V8)': { bytes: 5000, samples: 1 },
    });
    expect(bySite.get('write node:_http_outgoing:10 [src/http/http-transport.js]')).toEqual({ bytes: 12288, samples: 2 });
    expect(bySite.get('serve http-transport.js:10 [src/http/http-transport.js]')).toEqual({ bytes: 4000, samples: 1 });
  });
});
