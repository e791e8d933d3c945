package rrdom

import "fmt"

// CheckTree returns the first broken rule of the tree's shape, or nil:
// every child's Parent is the node listing it, no node is listed twice,
// no chain of parents goes round, every node's height is above its
// children's, and nothing under the root is deeper than maxTreeDepth. It
// walks the page, then every mapped node's subtree, without recursion.
func CheckTree(t *Tree) error {
	type item struct {
		n     *Node
		depth int // 0 outside the page
	}
	seen := map[*Node]bool{}
	walk := func(from item) error {
		stack := []item{from}
		for len(stack) > 0 {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n := it.n
			if it.depth > maxTreeDepth {
				return fmt.Errorf("node %d is %d levels deep", n.ID, it.depth)
			}
			if seen[n] {
				if it.depth > 0 {
					return fmt.Errorf("node %d is met twice in the page", n.ID)
				}
				continue // a mapped node met again
			}
			seen[n] = true
			for _, c := range n.Children {
				if c.Parent != n {
					return fmt.Errorf("node %d lists child %d, whose parent is another", n.ID, c.ID)
				}
				if n.height < c.height+1 {
					return fmt.Errorf("node %d has height %d, its child %d %d", n.ID, n.height, c.ID, c.height)
				}
				d := 0
				if it.depth > 0 {
					d = it.depth + 1
				}
				stack = append(stack, item{c, d})
			}
		}
		return nil
	}
	if t.root != nil {
		if err := walk(item{t.root, 1}); err != nil {
			return err
		}
	}
	for _, n := range t.ids {
		if err := walk(item{n, 0}); err != nil {
			return err
		}
	}
	for n := range seen {
		steps := 0
		for p := n; p != nil; p = p.Parent {
			if steps++; steps > len(seen)+1 {
				return fmt.Errorf("node %d's parents go round", n.ID)
			}
		}
	}
	return nil
}
