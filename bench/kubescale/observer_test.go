package main

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestObserverTimesCreationRunningAndReady(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := fake.NewClientset()
	o, err := observe(ctx, client, "ns", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()
	labels := func(s string) map[string]string { return map[string]string{serviceLabel: s} }
	for _, s := range []string{"db", "api"} {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: s, Namespace: "ns", Labels: labels(s)}}
		if _, err := client.AppsV1().Deployments("ns").Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Deployments and pods come through two informers whose events may interleave either way, so
	// each step waits until the observer has seen the one before (as the cluster's own pace does).
	seen := func(what string, ok func(map[string]moments) bool) {
		t.Helper()
		for !ok(o.timeline()) {
			if ctx.Err() != nil {
				t.Fatalf("the observer did not see %s: %v", what, ctx.Err())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	seen("both Deployments created", func(tl map[string]moments) bool { return len(tl) == 2 })
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db-1", Namespace: "ns", Labels: labels("db")}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	if _, err := client.CoreV1().Pods("ns").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	seen("db's pod running", func(tl map[string]moments) bool { return tl["db"].running >= 0 })
	for _, s := range []string{"db", "api"} {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: s, Namespace: "ns", Labels: labels(s)},
			Status: appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1}}
		if _, err := client.AppsV1().Deployments("ns").UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	last, err := o.wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tl := o.timeline()
	db, api := tl["db"], tl["api"]
	if db.created < 0 || db.running < db.created || db.ready < db.running {
		t.Errorf("db: created %v, running %v, ready %v: want them seen in that order", db.created, db.running, db.ready)
	}
	if api.running >= 0 {
		t.Errorf("api has no pod, but the observer saw one running at %v", api.running)
	}
	if last != max(db.ready, api.ready) {
		t.Errorf("wait returned %v, want the last ready %v", last, max(db.ready, api.ready))
	}
}
