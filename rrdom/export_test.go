package rrdom

import (
	"fmt"
	"slices"
)

// CheckTree returns the first broken rule of the tree's shape, or nil:
// every child's Parent is the node listing it and every node is listed by
// its Parent, no node is listed twice, no chain of parents goes round,
// every node's height is above its children's, and nothing under the root
// is deeper than maxTreeDepth. It walks the page, then every mapped node's
// subtree, without recursion.
func CheckTree(t *Tree) error {
	type item struct {
		n     *Node
		depth int // 0 outside the page
	}
	seen := map[*Node]bool{}
	listed := map[*Node]bool{} // children met in a list
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
			if p := n.Parent; p != nil && !slices.Contains(p.Children, n) {
				return fmt.Errorf("node %d's parent %d does not list it", n.ID, p.ID)
			}
			for _, c := range n.Children {
				if c.Parent != n {
					return fmt.Errorf("node %d lists child %d, whose parent is another", n.ID, c.ID)
				}
				if listed[c] {
					return fmt.Errorf("node %d lists child %d, listed already", n.ID, c.ID)
				}
				listed[c] = true
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
	// Parent chains, each node's once: they end, or go round.
	ends := map[*Node]bool{}
	for n := range seen {
		path := map[*Node]bool{}
		p := n
		for ; p != nil && !ends[p]; p = p.Parent {
			if path[p] {
				return fmt.Errorf("node %d's parents go round", n.ID)
			}
			path[p] = true
		}
		for q := range path {
			ends[q] = true
		}
	}
	return nil
}
