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
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db-1", Namespace: "ns", Labels: labels("db")}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	if _, err := client.CoreV1().Pods("ns").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
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
