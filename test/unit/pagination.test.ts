import { connectionFrom, decodeCursor, ErrorCode, encodeCursor, pageSize } from '../../shared';

describe('cursors', () => {
  it('round-trip an id through an opaque string', () => {
    const cursor = encodeCursor('order', 12345);
    expect(cursor).not.toContain('12345');
    expect(decodeCursor('order', cursor)).toBe(12345);
  });

  it.each([
    ['a cursor of another list', encodeCursor('product', 5)],
    ['garbage', 'not a cursor'],
    ['an empty string', ''],
    ['a non-canonical encoding of a valid cursor', `${encodeCursor('order', 5)}=`],
    ['a negative id', Buffer.from('order:-1').toString('base64url')],
  ])('refuse %s with INVALID_CURSOR', (_label, cursor) => {
    expect(() => decodeCursor('order', cursor)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_CURSOR }));
  });
});

describe('pageSize', () => {
  const limits = { first: 20, maximum: 100 };
  it('defaults first and decodes after', () => {
    expect(pageSize('order', {}, limits)).toEqual({ first: 20, afterId: null });
    expect(pageSize('order', { first: 100, after: encodeCursor('order', 9) }, limits)).toEqual({ first: 100, afterId: 9 });
  });
  it.each([101, -1, 1.5])('refuses first = %p with PAGE_SIZE_EXCEEDED, never clamps', (first) => {
    expect(() => pageSize('order', { first }, limits)).toThrow(expect.objectContaining({ code: ErrorCode.PAGE_SIZE_EXCEEDED }));
  });
});

describe('connectionFrom', () => {
  const rows = [{ id: 9 }, { id: 7 }, { id: 4 }];
  it('uses the extra row only to tell that a next page exists', () => {
    const connection = connectionFrom('order', rows, { first: 2, afterId: null });
    expect(connection.edges.map((edge) => edge.node.id)).toEqual([9, 7]);
    expect(connection.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: encodeCursor('order', 9),
      endCursor: encodeCursor('order', 7),
    });
  });
  it('reports an empty last page', () => {
    const connection = connectionFrom('order', [], { first: 5, afterId: 3 });
    expect(connection.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
  });
});
